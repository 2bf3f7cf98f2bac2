"""Hook participants for tests, named by dotted path in the settings like the real ones.

A test adds one with the `settings` fixture, e.g.
    settings.HANDOFF_PARTICIPANTS = [*settings.HANDOFF_PARTICIPANTS, "tests.hook_participants.record"]
and reads what it saw from `SEEN` (call reset() first).
"""

import threading

from django.db import connection

from rotations.hooks import HandoffEffect

SEEN: list = []
INSIDE = threading.Event()
RELEASE = threading.Event()


def reset() -> None:
    SEEN.clear()
    INSIDE.clear()
    RELEASE.clear()


def record(change):
    """Remember the change or handoff context it was called with; report one effect."""
    SEEN.append(change)
    return HandoffEffect(participant="tests.record", count=len(SEEN), summary=f"Recorded handoff {len(SEEN)}.")


def boom(change):
    raise RuntimeError("a participant failed")


def slow(change):
    """Signal that the handoff is under way, then wait (at most 10 s) until the test releases it."""
    INSIDE.set()
    RELEASE.wait(10)


def drop_connection(change):
    """Have PostgreSQL kill this connection in the middle of the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
