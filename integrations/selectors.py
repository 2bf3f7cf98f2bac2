"""Reads for inbound sources (a program's sources with their counts, a source's last deliveries) and e-mail in."""

from django.db.models import Count, Max, Q, QuerySet

from advocacy.models import Program

from .models import Delivery, Mail, MailIn, Source

LAST_DELIVERIES = 50


def sources_of(*, program: Program) -> QuerySet[Source]:
    """Return a program's sources with their delivery counts by outcome and their last delivery's time."""
    outcome = Delivery.Outcome
    return (
        Source.objects.filter(program=program)
        .annotate(
            issues_created=Count("deliveries", filter=Q(deliveries__outcome=outcome.ISSUE_CREATED)),
            good_ratings=Count("deliveries", filter=Q(deliveries__outcome=outcome.GOOD_RATING)),
            refused=Count("deliveries", filter=Q(deliveries__outcome=outcome.REFUSED)),
            last_delivery_at=Max("deliveries__received_at"),
        )
        .order_by("name", "pk")
    )


def source_of(*, program: Program, pk: int) -> Source | None:
    return sources_of(program=program).filter(pk=pk).first()


def last_deliveries(*, source: Source, limit: int = LAST_DELIVERIES) -> list[Delivery]:
    """Return a source's latest deliveries (without their bodies), newest first."""
    return list(
        Delivery.objects.filter(source=source)
        .defer("body")
        .select_related("issue", "duplicate_of__issue")
        .order_by("-received_at", "-pk")[:limit]
    )


MAILS_PER_PAGE = 50


def mail_in_of(*, program: Program) -> MailIn | None:
    """Return a program's e-mail-in settings, or None before a manager first set them."""
    return MailIn.objects.filter(program=program).select_related("program").first()


def mail_counts(*, mail_in: MailIn) -> dict[str, int]:
    """Return how many of a program's mails ended in each outcome."""
    rows = Mail.objects.filter(mail_in=mail_in).values_list("outcome").annotate(n=Count("pk"))
    return dict(rows)


def mails_of(*, mail_in: MailIn) -> QuerySet[Mail]:
    """Return a program's mails (without their raw content), newest first, with the issues they made."""
    return (
        Mail.objects.filter(mail_in=mail_in)
        .defer("raw")
        .select_related("issue", "duplicate_of__issue")
        .order_by("-received_at", "-pk")
    )
