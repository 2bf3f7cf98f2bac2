"""Explicit hooks: how the apps above advocacy act on a program or roster change, and what they did.

Advocacy never imports the apps built on it. When one of its actions must let
them act (a program's time zone moves its terms; a roster change asks for a
review of planned terms), the service calls a hook here. The participants of
every hook in the project are listed in ONE place, the settings
(HANDOFF_PARTICIPANTS, PROGRAM_CREATED_PARTICIPANTS, PROGRAM_CHANGED_PARTICIPANTS,
MEMBERSHIP_CHANGED_PARTICIPANTS in config/settings/base.py), as dotted paths.
Each participant runs inside the caller's transaction (its writes commit or
roll back with the change) and returns what it did, which the hook returns to
the caller. Django signals are left for loose, optional side effects only.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils.module_loading import import_string

from .models import Membership, Program


@lru_cache(maxsize=32)
def _load(paths: tuple[str, ...]) -> tuple[Callable, ...]:
    return tuple(import_string(path) for path in paths)


def participants(setting: str) -> tuple[Callable, ...]:
    """Return the callables a hook's setting lists, in order (imported once per list)."""
    return _load(tuple(getattr(settings, setting, ())))


def run(setting: str, change: Any) -> list[Any]:
    """Call every participant listed in `setting` with `change`; return what each returned (None left out)."""
    return [result for participant in participants(setting) if (result := participant(change)) is not None]


# ---------------------------------------------------------------- program created


@dataclass(frozen=True)
class ProgramCreated:
    """A program was just created (its first manager already on its roster)."""

    program: Program
    actor: AbstractBaseUser | None


def program_created(change: ProgramCreated) -> list[Any]:
    """Let every PROGRAM_CREATED_PARTICIPANTS set up what they keep per program; return what they did."""
    return run("PROGRAM_CREATED_PARTICIPANTS", change)


# ---------------------------------------------------------------- program changed


@dataclass(frozen=True)
class ProgramChange:
    """A program's settings were saved: what it looked like before, and who changed it."""

    program: Program
    actor: AbstractBaseUser | None
    previous_time_zone: str
    previous_handoff_time: time

    @property
    def boundaries_moved(self) -> bool:
        """Whether the local instant of a term boundary moved (another zone or handoff time)."""
        return (self.previous_time_zone, self.previous_handoff_time) != (
            self.program.time_zone,
            self.program.handoff_time,
        )


def program_changed(change: ProgramChange) -> list[Any]:
    """Let every PROGRAM_CHANGED_PARTICIPANTS act on a saved program change; return what they did."""
    return run("PROGRAM_CHANGED_PARTICIPANTS", change)


# ---------------------------------------------------------------- membership changed


@dataclass(frozen=True)
class MembershipChange:
    """A membership was added, changed or removed (`membership` is the row before its deletion).

    DEACTIVATED: the person's account was deactivated; the membership stays
    (their name remains on past work) but they can no longer serve.
    REACTIVATED: the account is open again; they can serve as before.
    """

    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"

    membership: Membership
    change: str
    actor: AbstractBaseUser | None


def membership_changed(change: MembershipChange) -> list[Any]:
    """Let every MEMBERSHIP_CHANGED_PARTICIPANTS act on a roster change; return what they did."""
    return run("MEMBERSHIP_CHANGED_PARTICIPANTS", change)
