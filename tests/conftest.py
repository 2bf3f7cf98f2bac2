"""Shared fixtures: people in a program with each role, a quarterly Berlin desk, and signed-in clients.

Fixtures used by more than one test package live here; a package's conftest.py
keeps only what its own tests need (its fixed clock, its own history).
"""

import shutil
import socket
from datetime import time

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.db.models import F
from django.utils import timezone

from advocacy.models import Membership
from config.celery import app
from core.models import OutboxMessage
from tests.brokers import PrivateRedis, use_broker
from tests.factories import PASSWORD, MembershipFactory, ProgramFactory, UserFactory


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def program(db):
    return ProgramFactory(name="Support Desk", slug="support-desk")


@pytest.fixture
def manager(program):
    return MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username="manager").user


@pytest.fixture
def member(program):
    return MembershipFactory(program=program, user__username="member").user


@pytest.fixture
def other_program(db):
    return ProgramFactory(name="Other Team", slug="other-team")


@pytest.fixture
def outsider(other_program):
    """A manager of another program: must see nothing of `program`."""
    return MembershipFactory(program=other_program, role=Membership.Role.MANAGER, user__username="outsider").user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def desk(db):
    """A quarterly Berlin program handing off at 09:00."""
    return ProgramFactory(name="Desk", slug="desk", time_zone="Europe/Berlin", term_months=3, handoff_time=time(9, 0))


@pytest.fixture
def boss(desk):
    """The desk's manager, who is not in the rotation."""
    return MembershipFactory(program=desk, role=Membership.Role.MANAGER, is_eligible=False, user__username="boss").user


@pytest.fixture
def ann(desk):
    """An eligible member of the desk. (tests/rotations' `people` makes its own ann: use one or the other.)"""
    return MembershipFactory(program=desk, user__username="ann", user__first_name="Ann").user


@pytest.fixture
def ben(desk):
    """Another eligible member of the desk."""
    return MembershipFactory(program=desk, user__username="ben", user__first_name="Ben").user


@pytest.fixture
def client_for(client):
    """Return a function that signs a user in on the test client."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def pytest_collection_modifyitems(config, items):
    """Run the browser journeys last.

    Playwright's sync API keeps an event loop running in the main thread for
    the whole browser session; Django's async views (e.g. the health check)
    cannot be called through the test client while it runs.
    """
    items.sort(key=lambda item: "tests/e2e/" in str(item.path))


@pytest.fixture(autouse=True)
def _seeded_data(request):
    """Restore what data migrations seed after a transactional test flushed it."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        from advocacy.defaults import ensure_default_role
        from advocacy.models import RoleDescription, RoleDescriptionVersion

        request.getfixturevalue("transactional_db")
        ensure_default_role(RoleDescription, RoleDescriptionVersion)


@pytest.fixture
def run_jobs():
    """Return a function that runs every pending outbox job in this process, oldest first, as a worker would.

    Jobs queued by those jobs run too. The function returns each task's result
    (or the exception it raised), in order. Without it, a test that is not
    transactional never sends a job: its on-commit callbacks do not run.
    """

    app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them

    def run() -> list:
        results = []
        while message := OutboxMessage.objects.filter(sent_at__isnull=True).order_by("pk").first():
            OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
            results.append(app.tasks[message.task_name].apply(args=message.args, kwargs=message.kwargs).result)
        return results

    return run


@pytest.fixture
def worker_queues():
    """Every queue the routes name, for a test worker that runs work of both kinds (start_worker's queues=).

    start_worker(queues=...) narrows the shared app's queue selection; undo that afterwards.
    """
    yield sorted({route["queue"] for route in django_settings.CELERY_TASK_ROUTES.values()})
    app.amqp.queues._consume_from = None


@pytest.fixture
def refusing_mail_server(settings) -> int:
    """Send e-mail by SMTP to a local port nothing listens on, so every send fails as in a real outage."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    return port


@pytest.fixture
def private_broker(tmp_path):
    """A Redis broker of this test's own, which it may stop and start; the Celery app uses it meanwhile."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    previous = app.conf.broker_url
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()
    use_broker(previous)
    # A worker started in the test made the app current and default in its thread; keep it so.
    app.set_current()
    app.set_default()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts sign-in attempts in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's superuser (behind `admin_client`), with the authenticator app staff need for the admin."""
    from tests.factories import give_two_factor

    user = django_user_model.objects.create_superuser(username="admin", email="admin@example.com", password="password")
    return give_two_factor(user)


@pytest.fixture
def chat_server():
    """A fake Slack and Teams webhook server on this machine (tests/integrations/chat_servers.py)."""
    from tests.integrations import chat_servers

    state, httpd = chat_servers.start()
    yield state
    chat_servers.stop(httpd)


@pytest.fixture
def no_prepared_statements():
    """This connection without the statements earlier tests prepared on it (core.prepared)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
    connections["default"].__dict__.pop("_prepared_statements", None)
