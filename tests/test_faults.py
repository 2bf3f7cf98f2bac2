"""Faults with the real services: a database connection dropped in the middle of a request."""

import pytest
from django.db import connection
from django.urls import reverse

from advocacy.models import Membership, Program
from advocacy.signals import membership_changed
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_mid_request_leaves_no_partial_write(client):
    """The program row is written, then PostgreSQL kills the connection before the request ends."""
    user = UserFactory()
    client.force_login(user)
    client.raise_request_exception = False

    def drop_connection(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    membership_changed.connect(drop_connection)
    try:
        response = client.post(
            reverse("advocacy:program_create"),
            {"name": "Doomed", "slug": "doomed", "term_length": "3", "time_zone": "UTC", "handoff_time": "09:00"},
        )
    finally:
        membership_changed.disconnect(drop_connection)
        connection.close()
    assert response.status_code == 500
    assert "Nothing you entered was half-saved" in response.content.decode()
    assert not Program.objects.filter(slug="doomed").exists()
    assert not Membership.objects.filter(user=user).exists()
