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
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])
