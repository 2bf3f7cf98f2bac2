"""Stored figures for programs too big to count on every view.

Program health and the brief are aggregate queries. For a program of tens of
thousands of issues they take well under a tenth of a second and stay live.
Once a program's figures take longer than INSIGHTS_SNAPSHOT_AFTER_SECONDS to
compute (a year of a million issues takes seconds), the result is stored:
pages read it back with one small query, the refresh job (services.
refresh_snapshots, run by Celery beat) recomputes it every few minutes, and
the page says how old it is. A program that becomes quick again loses its
snapshot and is live once more.
"""

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings

from advocacy.models import Program

from .models import FigureSnapshot

FRESH_FOR = timedelta(minutes=15)  # older than this, a page computes the figures itself
REFRESH_AFTER = timedelta(minutes=4)  # the refresh job recomputes snapshots older than this


def slow_seconds() -> float:
    return settings.INSIGHTS_SNAPSHOT_AFTER_SECONDS


def through(
    *, program: Program, name: str, key: str, compute: Callable[[], dict], now: datetime, refresh: bool = False
) -> tuple[dict, datetime | None]:
    """Return (figures, when they were computed if they come from a snapshot, else None).

    `compute` must return JSON-ready data. `key` names what it was computed
    for; a snapshot for another key (a new term, a new week) is not used.
    `refresh` computes anew whatever is stored.
    """
    snapshot = FigureSnapshot.objects.filter(program=program, name=name).first()
    if snapshot and not refresh and snapshot.key == key and snapshot.computed_at > now - FRESH_FOR:
        return snapshot.data, snapshot.computed_at
    started = time.perf_counter()
    data = compute()
    seconds = time.perf_counter() - started
    if seconds >= slow_seconds():
        FigureSnapshot.objects.update_or_create(
            program=program,
            name=name,
            defaults={"key": key, "data": data, "computed_at": now, "seconds": seconds},
        )
    elif snapshot:
        snapshot.delete()
    return data, None
