"""Every notice and customer e-mail issues sends on its own account: its wording, its link, and who gets it.

The services call the `tell_*` functions inside their transaction; each notice
goes through `advocacy.notifications.notify` (in the app, and by e-mail once)
with a dedupe key, so a repeated call tells nobody twice. What a customer reads
(their tracking-link e-mail) is worded here too, and speaks of nobody but the
advocate, by first name.
"""

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone

from advocacy.notifications import notify
from advocacy.selectors import display_name, own_time_zone
from core.when import format_day, format_moment
from rotations.notices import Notice, tell_managers

from .models import HotIssue, IssueEvent, Level, Source, TrackingLinkEmail

# Levels that tell the owner at once, without waiting for the overdue notice.
ANGRY_LEVELS = frozenset({Level.HOSTILE, Level.LEAVING})
IMPORTED = frozenset({Source.SURVEY, Source.MYSTERY_SHOP})


def advocate_first_name(user: AbstractBaseUser) -> str:
    """Return how a customer reads their advocate's name: the first name only, when there is one."""
    return user.first_name or display_name(user)


def tracking_link(issue: HotIssue) -> str:
    """Return the customer's private tracking link, absolute, for an e-mail."""
    return f"{settings.SITE_URL.rstrip('/')}{issue.get_tracking_url()}"


def customer_name(issue: HotIssue, otherwise: str) -> str:
    """Return the customer's name for a notice, never their e-mail address or phone number."""
    return (issue.customer.name if issue.customer_id else "") or otherwise


# ---------------------------------------------------------------- staff


def tell_owner_of_angry_customers_in_bulk(issues: list[HotIssue]) -> bool:
    """Tell the owner of newly imported issues, once, how many are at level 4 or 5 (not one notice per row).

    An import of thousands of survey answers would otherwise send as many
    e-mails; one notice with the count and a link to those issues says the same.
    """
    angry = [issue for issue in issues if issue.level in ANGRY_LEVELS]
    if not angry:
        return False
    first, program = angry[0], angry[0].program
    levels = "&".join(f"level={level}" for level in sorted(ANGRY_LEVELS))
    count = len(angry)
    return (
        notify(
            user=first.owner,
            kind="issue_angry_customer",
            title=f"{count} angry or leaving customer{'s' if count != 1 else ''} just arrived by import",
            body=(
                f"{count} of the issues just imported into {program.name} are at level 4 or 5. "
                "You own them: reach out to the unhappiest first."
            ),
            url=f"{reverse('issues:log')}?program={program.pk}&{levels}",
            program=program,
            dedupe_key=f"issue-angry-customers-from-{first.pk}",
        )
        is not None
    )


def tell_owner_of_angry_customer(issue: HotIssue) -> bool:
    """Tell the owner of a new level 4 or 5 issue at once (in the app and by e-mail), once per issue.

    Every way an issue arrives calls this: `create_issue` does, and so must any
    writer that creates issues in bulk. An owner who logged the issue themselves
    already knows, and is not told (one who uploaded an import is: the rows were
    not read one by one). Return whether a notice was recorded now.
    """
    if issue.level not in ANGRY_LEVELS:
        return False
    if issue.created_by_id == issue.owner_id and issue.source not in IMPORTED:
        return False
    zone = own_time_zone(issue.owner) or issue.program.time_zone  # the owner reads it in their own zone
    due = timezone.localtime(issue.first_outreach_due_at, zoneinfo.ZoneInfo(zone))
    who = customer_name(issue, "A customer")
    return (
        notify(
            user=issue.owner,
            kind="issue_angry_customer",
            title=f"{Level(issue.level).label} customer: {issue.title}",
            body=(
                f"{who} just reached {issue.program.name} at level {issue.level} "
                f"({Level(issue.level).label.lower()}), through {issue.get_source_display().lower()}. "
                f"You own it: reach out now. The first outreach is due by {format_moment(due)} ({zone})."
            ),
            url=issue.get_absolute_url(),
            program=issue.program,
            dedupe_key=f"issue-angry-customer-{issue.pk}",
        )
        is not None
    )


def tell_managers_of_runaround(issue: HotIssue, *, transfers: int) -> int:
    """Tell each of the program's managers once that an issue became a runaround; return how many were told now."""
    notice = Notice(
        "issue_runaround",
        f"Runaround: {issue.title}",
        (
            f"This {Level(issue.level).label.lower()} customer's issue in {issue.program.name} has been transferred "
            f"{transfers} time{'s' if transfers != 1 else ''} and is now with {display_name(issue.owner)}"
            f"{' in ' + str(issue.department) if issue.department_id else ''}. "
            "Make sure one person keeps it until it is solved."
        ),
        issue.get_absolute_url(),
    )
    return tell_managers(notice, program=issue.program, key=f"issue-runaround-{issue.pk}")


def tell_owner_of_customer_note(issue: HotIssue, event: IssueEvent) -> bool:
    """Tell the owner, once per note, that the customer added information on their tracking page."""
    who = customer_name(issue, "The customer")
    return (
        notify(
            user=issue.owner,
            kind="issue_customer_note",
            title=f"{who} added information: {issue.title}",
            body=event.detail,
            url=issue.get_absolute_url(),
            program=issue.program,
            dedupe_key=f"issue-customer-note-{event.pk}",
        )
        is not None
    )


def tell_owner_of_came_back(issue: HotIssue, check) -> bool:
    """Tell the issue's new owner, once per answer, that a recovery answer of 1 or 2 reopened it for them."""
    who = customer_name(issue, "The customer")
    return (
        notify(
            user=issue.owner,
            kind="issue_came_back",
            title=f"Came back: {issue.title}",
            body=(
                f"{who} was asked again after the resolution and rated {issue.program.name} {check.score} of 5. "
                "The issue is open again and yours now: reach out and find what is still wrong."
            ),
            url=issue.get_absolute_url(),
            program=issue.program,
            dedupe_key=f"issue-came-back-{check.pk}",
        )
        is not None
    )


# ---------------------------------------------------------------- the customer


def recovery_question_email(check) -> tuple[str, str]:
    """Return the subject and body of the e-mail that asks the customer again, a while after the resolution."""
    issue = check.issue
    hello = f"Hello{' ' + issue.customer.name if issue.customer.name else ''},"
    body = (
        f"{hello}\n\n"
        f"A while ago we resolved the problem you told {issue.program.name} about: “{issue.title}”.\n"
        "Is it still sorted? And how do you feel about us now, from 1 (not at all happy) to 5 (very happy)?\n"
        f"Answer here, until {format_day(check.open_until, issue.program)}: {tracking_link(issue)}#recovery\n\n"
        f"If something is wrong again, say so there: {advocate_first_name(issue.owner)} "
        "or whoever looks after your problem now will get back to you.\n"
    )
    return f"{issue.program.name}: is it still sorted?", body


def tracking_link_email(message: TrackingLinkEmail) -> tuple[str, str]:
    """Return the subject and body of a tracking-link e-mail to the customer."""
    issue = message.issue
    advocate = advocate_first_name(issue.owner)
    hello = f"Hello{' ' + issue.customer.name if issue.customer.name else ''},"
    if message.reason == TrackingLinkEmail.Reason.NEW_OWNER:
        subject = f"{issue.program.name}: {advocate} now looks after your problem"
        opening = f"Your problem “{issue.title}” has a new advocate at {issue.program.name}."
    else:
        subject = f"{issue.program.name}: we have your message"
        opening = f"Thank you for telling {issue.program.name} what went wrong: “{issue.title}”."
    body = (
        f"{hello}\n\n{opening}\n"
        f"Your advocate is {advocate}; here is your link: {tracking_link(issue)}\n\n"
        "It shows who is looking after your problem and what happened since, and you can add information there. "
        "Anyone with the link can see it, so do not share it.\n"
    )
    return subject, body


def tell_owner_of_untouched_issue(issue: HotIssue, *, touched_at, key: str) -> bool:
    """Tell the owner, once per problem, that an open issue has gone untouched past its level's limit."""
    zone = own_time_zone(issue.owner) or issue.program.time_zone
    return (
        notify(
            user=issue.owner,
            kind="issue_untouched",
            title=f"Untouched since {format_day(touched_at, zone)}: {issue.title}",
            body=(
                f"Nobody has reached out to this {Level(issue.level).label.lower()} customer (level {issue.level}) "
                f"in {issue.program.name} or changed the issue since {format_moment(touched_at, zone)} ({zone}). "
                "Reach out today, or hand it to someone who can."
            ),
            url=issue.get_absolute_url(),
            program=issue.program,
            dedupe_key=key,
        )
        is not None
    )


def tell_managers_of_untouched_issue(issue: HotIssue, *, touched_at, key: str) -> int:
    """Tell each manager once that an issue stayed untouched after its owner was told."""
    notice = Notice(
        "issue_untouched",
        f"Still untouched: {issue.title}",
        (
            f"This {Level(issue.level).label.lower()} customer's issue (level {issue.level}) in "
            f"{issue.program.name} has had no outreach or change since "
            f"{format_moment(touched_at, issue.program)} ({issue.program.time_zone}), and "
            f"{display_name(issue.owner)} was told. Step in so the customer hears from someone."
        ),
        issue.get_absolute_url(),
    )
    return tell_managers(notice, program=issue.program, key=key)


# ---------------------------------------------------------------- e-mail choices

# The switches a person finds on their profile for these notices (registered in
# IssuesConfig.ready). Every notice stays in the app; these choose the e-mail.
EMAIL_CHOICES = (
    {
        "key": "issues",
        "label": "Hot issues you own",
        "help_text": "An angry or leaving customer arrives, a first outreach is overdue, a customer adds information, "
        "an issue becomes a runaround, goes untouched too long or comes back after a low recovery answer.",
        "kinds": {
            "issue_angry_customer",
            "issue_overdue",
            "issue_customer_note",
            "issue_runaround",
            "issue_untouched",
            "issue_came_back",
        },
    },
    {
        "key": "issue_digest",
        "label": "Daily digest",
        "help_text": "While you are the advocate: the open issues each morning.",
        "kinds": {"issue_digest"},
    },
)
