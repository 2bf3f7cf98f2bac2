"""SQL helpers for the insights figures: durations and percentiles, on PostgreSQL and SQLite.

PostgreSQL computes percentiles with percentile_cont; elsewhere they are
interpolated from window functions exactly as percentile_cont does.
"""

import math

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber

from issues.models import Level

LEVELS = [level.value for level in Level]


class Seconds(Func):
    """Seconds from `start` to `end` as a float (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler, conn, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday(", **extra
        )


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont: the interpolated `fraction` percentile of an expression."""

    function = "percentile_cont"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles_supported() -> bool:
    return connection.vendor == "postgresql"


FRACTIONS = {"median": 0.5, "p90": 0.9}


def percentiles_by_window(qs: QuerySet, bucket, measures: dict) -> dict:
    """Return {bucket: {"outreach_median": s, ...}} computed with window functions (the SQLite way).

    One query per measure: number the values inside each bucket, keep only the
    one or two rows around each percentile's position and interpolate between
    them exactly as percentile_cont does.
    """
    out: dict = {}
    for name, expression in measures.items():
        ranked = (
            qs.annotate(bucket=bucket, value=expression)
            .filter(value__isnull=False)
            .annotate(
                rn=Window(RowNumber(), partition_by=[F("bucket")], order_by=[F("value").asc(), F("id").asc()]),
                n=Window(Count("id"), partition_by=[F("bucket")]),
            )
        )
        wanted = Q()
        for fraction in FRACTIONS.values():
            # Rows whose 0-based position is within one of (n - 1) * fraction: its floor and ceiling.
            position = (F("n") - 1) * Value(fraction)
            wanted |= Q(rn__gt=position, rn__lt=position + 2)
        rows: dict = {}
        for b, rn, n, value in ranked.filter(wanted).values_list("bucket", "rn", "n", "value"):
            rows.setdefault(b, {"n": n, "values": {}})["values"][rn - 1] = value
        for b, found in rows.items():
            for label, fraction in FRACTIONS.items():
                position = (found["n"] - 1) * fraction
                low, high = math.floor(position), math.ceil(position)
                lo_value, hi_value = found["values"][low], found["values"][high]
                out.setdefault(b, {})[f"{name}_{label}"] = lo_value + (hi_value - lo_value) * (position - low)
    return out
