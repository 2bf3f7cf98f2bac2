"""Settings shared by every environment, read from the environment by django-environ.

With nothing set, Baton runs on a SQLite file and an embedded filesystem Celery
broker, so a newcomer needs no services. `DATABASE_URL=postgres://…` and
`CELERY_BROKER_URL=redis://…` switch it to PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "csp",
    "axes",
    "health_check",
    "advocacy",
    "rotations",
    "issues",
    "insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: a NUL byte in the path, query or form is a plain 400.
    "core.edge.RefuseUnstorableInput",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.observability.RequestLogMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "advocacy.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'baton.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "advocacy:program_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# Third-party front-end assets come from npm (package.json) at set-up time and
# are served from node_modules by whitenoise; only the project's own files live
# in static/.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Baton <baton@localhost>")

# Celery: an embedded filesystem broker by default, Redis when CELERY_BROKER_URL says so.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_FILESYSTEM_BROKER_DIR", default=str(VAR_DIR / "celery-broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast when the broker is down; work queued from web requests is kept in
# the database (notifications, the outbox) and sent by the periodic jobs.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Periodic jobs: beat copies them into django-celery-beat's tables, where admins edit them.
CELERY_BEAT_SCHEDULE: dict = {
    "advocacy-send-pending-emails": {"task": "advocacy.tasks.send_pending_notification_emails", "schedule": 60.0},
    "rotations-run-handoffs": {"task": "rotations.tasks.run_handoffs", "schedule": 60.0},
    "rotations-send-reminders": {"task": "rotations.tasks.send_reminders", "schedule": 15 * 60.0},
    "rotations-flush-outbox": {"task": "rotations.tasks.flush_outbox", "schedule": 60.0},
    "issues-notify-overdue": {"task": "issues.tasks.notify_overdue_issues", "schedule": 300.0},
    "issues-poll-mention-feeds": {"task": "issues.tasks.poll_mention_feeds", "schedule": 900.0},
    "issues-daily-digest": {"task": "issues.tasks.send_daily_digests", "schedule": 3600.0},
    "issues-resend-pending-work": {"task": "issues.tasks.resend_pending_work", "schedule": 300.0},
    # Imports whose worker died mid-way (no progress for ten minutes) are sent again, a few times.
    "issues-requeue-stuck-imports": {"task": "issues.tasks.requeue_stuck_imports", "schedule": 300.0},
    # Monday 07:00 UTC; the later Monday runs only catch up what a broker outage kept from going out
    # (each member gets one brief a week: the send is deduplicated per program, week and person).
    "insights-weekly-brief": {
        "task": "insights.tasks.send_weekly_briefs",
        "schedule": crontab(minute=0, hour="7-12", day_of_week="mon"),
    },
    # Builds any term report a lost message or a broker outage left unbuilt.
    "insights-build-missing-term-reports": {"task": "insights.tasks.build_missing_term_reports", "schedule": 600.0},
    # Recomputes the stored health and brief figures of programs too big to count on every view.
    "insights-refresh-snapshots": {"task": "insights.tasks.refresh_snapshots", "schedule": 120.0},
}

# Logs: one line per request and per task, as JSON in production
# (LOG_FORMAT=json). Contact details are scrubbed from every record.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "config.observability.RedactContactDetails"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Our request log replaces runserver's and django.request's per-request lines.
        "django.server": {"level": "WARNING"},
    },
}

# Content-Security-Policy: no inline scripts or styles, nothing from other hosts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # The one inline style attribute of a third-party page (django-simple-history's admin
        # History list: style="border-top: 0"), allowed by its hash and nothing else.
        "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Login throttling (django-axes): five failures for a username from one address
# lock that pair out for 15 minutes; a successful login resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# SQLite (the no-services default) ignores the covering columns of the hot-issue
# log's index; PostgreSQL uses them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# The demo command runs these in order; each receives and extends a shared context.
DEMO_BUILDERS = [
    "advocacy.demo.build",
    "rotations.demo.build",
    "issues.demo.build",
    "insights.demo_brief.build",
    "insights.demo.build",
]

# Absolute address of the site, for links in e-mails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Mention feeds are polled only on the public internet; list private networks
# (CIDR, comma-separated) to allow anyway, e.g. an intranet feed server.
ISSUES_FEED_ALLOWED_NETWORKS = env.list("ISSUES_FEED_ALLOWED_NETWORKS", default=[])
# Each fetch of a feed must be complete (connect, headers, body) within this many
# seconds, however slowly the server drips its answer.
ISSUES_FEED_DEADLINE = env.float("ISSUES_FEED_DEADLINE", default=30)

# Program health and brief figures that take longer than this to compute are
# stored and refreshed every few minutes by Celery instead of counted per view.
INSIGHTS_SNAPSHOT_AFTER_SECONDS = env.float("INSIGHTS_SNAPSHOT_AFTER_SECONDS", default=0.5)
