"""Model instances from one written-out join, on PostgreSQL.

A page's first lookup (the member's program, a theme with its owner) is a
join of a few rows that the ORM takes longer to compile than PostgreSQL takes
to run. Written out from the models' own columns, the row comes back as the
models hold it (psycopg2 returns aware datetimes, dates and times), and each
part becomes an instance as the ORM would have made it. Other databases need
the ORM's converters: callers keep the ORM's query for them.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def columns(parts: Sequence[tuple[type[Model], str]]) -> str:
    """Return the select list of every concrete column of each (model, table alias), in order."""
    return ", ".join(f'{alias}."{field.column}"' for model, alias in parts for field in model._meta.concrete_fields)


def instances(row: Sequence, parts: Sequence[tuple[type[Model], str]]) -> tuple[list[Model | None], list]:
    """Split `row` (selected with `columns(parts)` first) into one instance per part, None for a part
    whose primary key is NULL (an outer join that found nothing), and the values left after them."""
    values, made = iter(row), []
    for model, _ in parts:
        fields = model._meta.concrete_fields
        taken = [next(values) for _ in fields]
        pk_at = fields.index(model._meta.pk)
        made.append(
            None if taken[pk_at] is None else model.from_db(connection.alias, [f.attname for f in fields], taken)
        )
    return made, list(values)


def fetch_one(
    sql: str, params: list, parts: Sequence[tuple[type[Model], str]]
) -> tuple[list[Model | None], list] | None:
    """Run `sql` (selecting `columns(parts)` first) and return `instances` of its one row, or None if none."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else instances(row, parts)
