"""Production settings, security headers, login throttling, health and logs."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from config.observability import RedactContactDetails, redact

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_with_production_settings_reports_nothing():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 30 + "a-long-random-production-secret-key-value",
        "ALLOWED_HOSTS": "baton.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_keep_database_connections_between_requests():
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "CONN_MAX_AGE")},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 30 + "a-long-random-production-secret-key-value",
        "ALLOWED_HOSTS": "baton.example.com",
    }
    show = "from django.conf import settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", show], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["60", "True"], result.stdout + result.stderr
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", show],
        cwd=ROOT,
        env={**env, "CONN_MAX_AGE": "0"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["0", "True"], result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", ALLOWED_HOSTS="baton.example.com")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy_and_safe_headers(client):
    response = client.get(reverse("login"))
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_login_is_throttled_after_five_failures_even_with_the_right_password(client, member, password):
    url = reverse("login")
    for _ in range(4):
        response = client.post(url, {"username": "member", "password": "wrong"})
        assert response.status_code == 200
    assert client.post(url, {"username": "member", "password": "wrong"}).status_code == 429
    response = client.post(url, {"username": "member", "password": password})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_over_long_username_is_a_form_error_not_a_500(client):
    """Found by the form fuzzer: axes could not store a failure for a 500-character username."""
    response = client.post(reverse("login"), {"username": "🙂" * 500, "password": "x"})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()


@pytest.mark.django_db
def test_a_successful_login_resets_the_failure_count(client, member, password):
    url = reverse("login")
    for _ in range(4):
        client.post(url, {"username": "member", "password": "wrong"})
    assert client.post(url, {"username": "member", "password": password}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        client.post(url, {"username": "member", "password": "wrong"})
    assert client.post(url, {"username": "member", "password": password}).status_code == 302


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_health_reports_database_broker_and_worker(client):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    response = client.get(reverse("health"), {"format": "json"})
    assert response.status_code == 500  # no worker yet
    body = response.json()
    assert any("Database" in k and v == "OK" for k, v in body.items())
    assert any("Redis" in k and v == "OK" for k, v in body.items())
    assert any("Ping" in k and "unavailable" in v for k, v in body.items())
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        app.send_task("core.tasks.heartbeat").get(timeout=10)  # what beat sends every minute
        response = client.get(reverse("health"), {"format": "json"})
    assert response.status_code == 200, response.content
    assert set(response.json().values()) == {"OK"}


def _heartbeat_status(client) -> str:
    body = client.get(reverse("health"), {"format": "json"}).json()
    [status] = [value for key, value in body.items() if "WorkerHeartbeat" in key]
    return status


@pytest.mark.django_db(transaction=True)
def test_health_fails_when_no_worker_finished_a_task_for_too_long(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from core import heartbeat
    from core.tasks import heartbeat as heartbeat_task

    assert "No task has finished yet" in _heartbeat_status(client)
    heartbeat.beat(now=timezone.now() - timedelta(minutes=settings.WORKER_SILENT_AFTER_MINUTES + 3))
    assert f"No task finished for {settings.WORKER_SILENT_AFTER_MINUTES + 3} minutes" in _heartbeat_status(client)
    heartbeat_task.apply()  # a worker finishes the periodic task
    assert _heartbeat_status(client) == "OK"
    settings.CELERY_BROKER_URL = "filesystem://"  # make run: no Redis to ask, no worker to ping
    response = client.get(reverse("health"), {"format": "json"})
    assert response.status_code == 200 and any("WorkerHeartbeat" in key for key in response.json())


def test_contact_details_are_scrubbed_from_log_records():
    assert redact("mail dana.w+x@example.co.uk or call +49 (30) 1234-5678") == "mail [email] or call [phone]"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "customer %s wrote", ("jo@example.com",), None)
    RedactContactDetails().filter(record)
    assert record.getMessage() == "customer [email] wrote"
    # Celery's worker logs with a mapping of arguments (%(name)s); it must stay a mapping.
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Task %(name)s: %(note)s", None, None)
    record.args = {"name": "issues.tasks.ask", "note": "call 0171 2345678"}
    RedactContactDetails().filter(record)
    assert record.getMessage() == "Task issues.tasks.ask: call [phone]"
    # Dates and server addresses are not phone numbers.
    assert (
        redact("on 2026-11-23 12:16 from redis://127.0.0.1:6379/0")
        == "on 2026-11-23 12:16 from redis://127.0.0.1:6379/0"
    )


@pytest.mark.django_db
def test_each_request_is_logged_with_its_route_not_its_path(client_for, member, caplog, program):
    client = client_for(member)
    with caplog.at_level(logging.INFO, logger="baton.request"):
        client.get(reverse("advocacy:program_detail", args=[program.slug]), {"q": "jo@example.com"})
    (record,) = [r for r in caplog.records if r.name == "baton.request"]
    assert record.route == "programs/<slug:slug>/"
    assert record.status == 200 and record.user_id == member.pk
    assert "jo@example.com" not in json.dumps(record.__dict__, default=str)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["x" * 300, "🙂" * 200])
def test_absurd_usernames_are_an_ordinary_failed_sign_in(client, username):
    response = client.post(reverse("login"), {"username": username, "password": "y" * 5000})
    assert response.status_code == 200
    assert "username and/or password you specified are not correct" in response.content.decode()


@pytest.mark.django_db
def test_a_nul_in_the_username_is_refused_at_the_edge_and_counts_no_failure(client):
    from axes.models import AccessAttempt

    response = client.post(reverse("login"), {"username": "a\x00b", "password": "y"})
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_password_change_applies_the_password_validators(client_for, member, password):
    client = client_for(member)
    response = client.post(
        reverse("password_change"),
        {"oldpassword": password, "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(password)


def test_task_ids_and_other_uuids_are_not_mistaken_for_phone_numbers():
    line = "Task issues.tasks.run_import[3f2a1b9c-1234-5678-9abc-def012345678] succeeded; call 030 1234 5678"
    assert redact(line) == "Task issues.tasks.run_import[3f2a1b9c-1234-5678-9abc-def012345678] succeeded; call [phone]"
    assert redact("id 12345678-1234-1234-1234-123456789012") == "id 12345678-1234-1234-1234-123456789012"
    assert redact("ref ab-1234567-cd") == "ref ab-1234567-cd"


@pytest.mark.django_db
def test_a_refused_page_logs_one_line_without_a_traceback_or_its_path(client_for, outsider, program, caplog):
    from tests.factories import MembershipFactory

    member = MembershipFactory(program=program).user
    client = client_for(member)
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("advocacy:program_settings", args=[program.slug]))
    assert response.status_code == 403
    lines = [r for r in caplog.records if r.name in ("django.request", "baton.request")]
    assert [(r.name, r.status) for r in lines] == [("baton.request", 403)]
    assert not any(r.exc_info for r in caplog.records)
