"""Reads for terms: who is a program's advocate now, and who is next."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from advocacy.models import Program

from .models import Term


def current_term(*, program: Program, at: datetime | None = None) -> Term | None:
    """Return the term whose time range contains `at` (default now), if any."""
    at = at or timezone.now()
    return (
        Term.objects.select_related("advocate")
        .filter(program=program, starts_at__lte=at, ends_at__gt=at)
        .order_by("-starts_at")
        .first()
    )


def current_advocate(*, program: Program, at: datetime | None = None) -> AbstractBaseUser | None:
    """Return the person who is the program's advocate at `at` (default now), or None.

    This is the one answer to "who owns new customer issues right now".
    """
    term = current_term(program=program, at=at)
    return term.advocate if term else None


def upcoming_terms(*, program: Program, at: datetime | None = None) -> QuerySet[Term]:
    """Return the terms that start after `at`, soonest first."""
    at = at or timezone.now()
    return Term.objects.select_related("advocate").filter(program=program, starts_at__gt=at).order_by("starts_at")
