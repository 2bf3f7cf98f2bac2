"""Statements planned once per database connection: PostgreSQL prepared statements.

The log's written-out statements (its lookups, the kept counts, the page's
scans) cost PostgreSQL more to plan than to run: at 35,000 open issues a
page's planning took about 2 ms and its running about 1.4 ms. Prepared once
on a connection (PREPARE), each later page only runs them (EXECUTE), with the
plan PostgreSQL keeps for the statement.

A statement is known by its text, so the same text is prepared once per
connection however often it runs; its values are parameters (%s, as for
cursor.execute). Values the planner must see to choose a partial index (the
open statuses) stay written into the text. The first run prepares and runs in
one round trip. A connection keeps at most PREPARED_PER_CONNECTION statements;
the least recently run is dropped first.

Behind a connection pooler that hands one client's statements to another
server connection (PgBouncer in transaction mode), turn them off:
DATABASE_PREPARED_STATEMENTS=0. Elsewhere (SQLite) statements run as given.
"""

import re
from collections import OrderedDict
from collections.abc import Sequence

from django.conf import settings
from django.db import DatabaseError, connection

PREPARED_PER_CONNECTION = 200
_PLACEHOLDER = re.compile(r"%(%|s)")
# The server lost or replaced a statement this connection prepared: it does not exist (a pooler or
# DISCARD ALL), or its plan's result changed shape (a migration): prepare it again.
_PREPARE_AGAIN = {"26000", "0A000"}


def _numbered(sql: str) -> tuple[str, int]:
    """Return `sql` with its %s placeholders numbered $1, $2, … (a `%%` stays), and how many there are."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql), count


class _Statements:
    """One connection's prepared statements: {text: name}, least recently run first, and the next name."""

    def __init__(self, raw):
        self.raw = raw
        self.names: OrderedDict[str, str] = OrderedDict()
        self.made = 0

    def new_name(self) -> str:
        # Never a name tried before on this connection: a PREPARE that failed with what followed it
        # may still have made its statement (PREPARE is not undone by a rollback).
        self.made += 1
        return f"baton_{self.made}"


def _statements() -> _Statements:
    """This connection's prepared statements; a new connection starts with none."""
    kept = getattr(connection, "_prepared_statements", None)
    if kept is None or kept.raw is not connection.connection:
        kept = connection._prepared_statements = _Statements(connection.connection)
    return kept


def enabled() -> bool:
    """Whether statements are prepared here (PostgreSQL, unless turned off)."""
    return connection.vendor == "postgresql" and getattr(settings, "DATABASE_PREPARED_STATEMENTS", True)


def fetch_all(sql: str, params: Sequence = (), *, planned_once: bool = False) -> list[tuple]:
    """Run `sql` with `params` (%s placeholders; a literal % written %%) and return its rows: on
    PostgreSQL as a statement prepared once on this connection, elsewhere as given.

    `planned_once`: use one plan for any values (PostgreSQL's generic plan), for a statement
    written for its indexes whose plan does not depend on its values. Left to itself,
    PostgreSQL plans such a statement anew for each run's values whenever the generic plan's
    estimate looks dearer (it does for the log's scans: the LIMITs and time bounds are
    unknown to it), which is the planning a prepared statement is for saving. Not in a
    transaction: the setting would last to its end (SET LOCAL), there PostgreSQL decides.
    """
    params = list(params)
    with connection.cursor() as cursor:
        if not enabled():
            cursor.execute(sql, params)
            return cursor.fetchall()
        statements = _statements()
        generic = (
            "SET LOCAL plan_cache_mode = force_generic_plan; " if planned_once and connection.get_autocommit() else ""
        )
        run_args = f"({', '.join(['%s'] * len(params))})" if params else ""
        name = statements.names.get(sql)
        if name is not None:
            statements.names.move_to_end(sql)
            try:
                cursor.execute(f"{generic}EXECUTE {name}{run_args}", params)
                return cursor.fetchall()
            except DatabaseError as error:
                if getattr(error.__cause__, "pgcode", None) not in _PREPARE_AGAIN:
                    raise
                # Gone or stale: prepare it again, under a new name, if this is no transaction
                # (in one, the error has ended it: the next request prepares it).
                statements.names.pop(sql, None)
                if not connection.get_autocommit():
                    raise
        numbered, count = _numbered(sql)
        if count != len(params):
            raise ValueError(f"{len(params)} values for {count} placeholders")
        dropped = ""
        if len(statements.names) >= PREPARED_PER_CONNECTION:
            _, oldest = statements.names.popitem(last=False)
            dropped = f"DEALLOCATE {oldest}; "
        name = statements.new_name()
        # One round trip: drop the oldest, prepare, run.
        cursor.execute(f"{dropped}PREPARE {name} AS {numbered}; {generic}EXECUTE {name}{run_args}", params)
        statements.names[sql] = name
        return cursor.fetchall()
