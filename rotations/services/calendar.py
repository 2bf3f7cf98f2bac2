"""Calendar feeds: the secret address of a person's (or a program's) feed, and resetting it."""

import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from advocacy.models import Program

from ..models import CalendarToken


@transaction.atomic
def calendar_token(*, user: AbstractBaseUser, program: Program | None = None) -> CalendarToken:
    """Return the live feed token for the user's personal (or a program's) feed, creating one."""
    found = CalendarToken.objects.filter(user=user, program=program, revoked_at__isnull=True).first()
    if found:
        return found
    return CalendarToken.objects.create(user=user, program=program, token=secrets.token_urlsafe(32))


@transaction.atomic
def reset_calendar_token(*, user: AbstractBaseUser, program: Program | None = None) -> CalendarToken:
    """Revoke the current feed address (it stops working) and issue a new one."""
    CalendarToken.objects.filter(user=user, program=program, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return CalendarToken.objects.create(user=user, program=program, token=secrets.token_urlsafe(32))
