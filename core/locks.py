"""Serialise a check-then-write on one key, across processes, for the length of a transaction."""

import hashlib

from django.db import connection


def lock_for_transaction(key: str) -> None:
    """Hold a PostgreSQL advisory lock on `key` until the current transaction ends.

    Two requests that count rows and then insert one (a rate limit, say) would
    otherwise both count the same rows and both get in. SQLite, the no-services
    default, already lets one writer at a time, so there it does nothing.
    Call it inside `transaction.atomic`.
    """
    if connection.vendor != "postgresql":
        return
    number = _number(key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def _number(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def lock_many_for_transaction(keys) -> None:
    """Hold advisory locks on all of `keys` until the current transaction ends, taken in one statement.

    The locks are taken in a fixed order (by number), so two transactions
    locking overlapping sets wait for each other rather than deadlock.
    Nothing on SQLite, as lock_for_transaction.
    """
    numbers = sorted({_number(key) for key in keys})
    if connection.vendor != "postgresql" or not numbers:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(n) FROM (SELECT unnest(%s::bigint[]) AS n ORDER BY 1) AS locks", [numbers]
        )
