"""Statements prepared once per connection (core.prepared), on PostgreSQL as in production."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core import prepared
from tests.factories.issues import HotIssueFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")

SQL = "SELECT %s::int + 1, 'a%%' || %s"


def kept() -> dict[str, tuple[int, int]]:
    """This connection's prepared statements: {text: (generic plans, custom plans)}."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {text: (generic, custom) for text, generic, custom in cursor.fetchall()}


def of(sql_part: str) -> list[tuple[int, int]]:
    return [plans for text, plans in kept().items() if sql_part in text]


@pytest.fixture
def fresh(no_prepared_statements):
    """No statements prepared by earlier tests on this connection."""


def test_a_statement_is_prepared_once_and_gives_what_the_plain_query_gives(db, fresh):
    with connection.cursor() as cursor:
        cursor.execute(SQL, [1, "b"])
        plain = cursor.fetchall()
    runs = [prepared.fetch_all(SQL, [1, "b"]) for _ in range(3)] + [prepared.fetch_all(SQL, [41, "c"])]
    assert runs[:3] == [plain] * 3 and runs[3] == [(42, "a%c")]
    assert len(of("'a%' || $2")) == 1


def test_bad_values_are_refused_before_anything_runs(db, fresh):
    with pytest.raises(ValueError, match="1 values for 2 placeholders"):
        prepared.fetch_all(SQL, [1])
    assert of("'a%' || $2") == []


@pytest.mark.django_db(transaction=True)
def test_planned_once_keeps_one_plan_for_any_values(fresh):
    """PostgreSQL would plan this scan anew for each due time (its generic estimate looks dearer)."""
    now = timezone.now()
    for days in range(3):
        HotIssueFactory(first_outreach_due_at=now + timedelta(days=days))
    sql = "SELECT count(*) FROM issues_hotissue WHERE first_outreach_due_at >= %s"
    counts = [
        prepared.fetch_all(sql, [now + timedelta(days=i % 3, seconds=-1)], planned_once=True)[0][0] for i in range(9)
    ]
    assert counts == [3, 2, 1] * 3
    assert of("first_outreach_due_at >= $1") == [(9, 0)]
    left = "SELECT count(*) FROM issues_hotissue WHERE created_at >= %s"
    for _ in range(7):
        prepared.fetch_all(left, [now])
    generic, custom = of("created_at >= $1")[0]
    assert custom >= 5  # left to PostgreSQL: its first five runs are planned for their values


@pytest.mark.django_db(transaction=True)
def test_a_statement_the_server_lost_is_prepared_again(fresh):
    assert prepared.fetch_all(SQL, [1, "x"]) == [(2, "a%x")]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL does
    assert prepared.fetch_all(SQL, [2, "y"]) == [(3, "a%y")]
    assert len(of("'a%' || $2")) == 1


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_a_lost_statement_fails_once_then_is_prepared_again(fresh):
    prepared.fetch_all(SQL, [1, "x"])
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(DatabaseError), transaction.atomic():
        prepared.fetch_all(SQL, [1, "x"])
    with transaction.atomic():
        assert prepared.fetch_all(SQL, [1, "x"]) == [(2, "a%x")]


@pytest.mark.django_db(transaction=True)
def test_a_run_that_fails_leaves_the_statement_usable(fresh):
    """A PREPARE stays when what follows it fails: the next run must not prepare the same name."""
    sql = "SELECT 10 / %s::int"
    with pytest.raises(DatabaseError):
        prepared.fetch_all(sql, [0])
    assert prepared.fetch_all(sql, [5]) == [(2,)]
    with pytest.raises(DatabaseError):
        prepared.fetch_all(sql, [0])
    assert prepared.fetch_all(sql, [2]) == [(5,)]


@pytest.mark.django_db(transaction=True)
def test_a_connection_keeps_a_bounded_number_of_statements(fresh, monkeypatch):
    monkeypatch.setattr(prepared, "PREPARED_PER_CONNECTION", 2)
    for n in range(5):
        assert prepared.fetch_all(f"SELECT %s::int + {n}", [1]) == [(1 + n,)]
    texts = [text for text in kept() if "::int + " in text]
    assert len(texts) == 2 and all(" + 3" in text or " + 4" in text for text in texts)
    assert prepared.fetch_all("SELECT %s::int + 0", [1]) == [(1,)]  # dropped, prepared again


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_anew(fresh):
    prepared.fetch_all(SQL, [1, "x"])
    connection.close()
    assert prepared.fetch_all(SQL, [1, "x"]) == [(2, "a%x")]
    assert len(of("'a%' || $2")) == 1


def test_turned_off_nothing_is_prepared(db, fresh, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert prepared.fetch_all(SQL, [1, "x"]) == [(2, "a%x")]
    assert of("'a%' || $2") == []
