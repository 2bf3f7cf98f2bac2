"""Settings for the test suite: PostgreSQL and a real Redis broker, like production."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, env

DATABASES["default"] = env.db("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/baton")
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
# Under pytest-xdist each test process has a database of its own (pytest-django
# adds a suffix) and a key prefix of its own on the shared Redis, so one
# process's worker never takes another's messages or results.
_PREFIX = {"global_keyprefix": f"{os.environ['PYTEST_XDIST_WORKER']}:"} if os.environ.get("PYTEST_XDIST_WORKER") else {}
CELERY_BROKER_TRANSPORT_OPTIONS: dict = dict(_PREFIX)
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS: dict = dict(_PREFIX)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve assets straight from the finders so tests need no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_RESULT_BACKEND = env("TEST_CELERY_RESULT_BACKEND", default="redis://127.0.0.1:6379/1")
# The feed tests serve their feeds from this machine.
ISSUES_FEED_ALLOWED_NETWORKS = ["127.0.0.1/32"]
# E-mail in: the programs' addresses, and the secrets the inbound webhook tests sign with.
INBOUND_EMAIL_ADDRESS = "advocate@example.com"
ANYMAIL = {
    "WEBHOOK_SECRET": "mailhook:test-webhook-password",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "test-mailgun-signing-key",
    "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False,
}
# The chat tests run their fake Slack and Teams servers on this machine.
INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
INTEGRATIONS_WEBHOOK_DEADLINE = 3
# No spacing between messages unless a test asks for it (the worker tests do).
INTEGRATIONS_WEBHOOK_INTERVAL = 0
