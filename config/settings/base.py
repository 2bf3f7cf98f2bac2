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
# Absolute address of the site, for links in e-mails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
SITE_URL_IS_HTTPS = SITE_URL.startswith("https://")
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
    # Inbound e-mail webhooks of Postmark, Mailgun, SendGrid and Amazon SES, with their signature checks.
    "anymail",
    # Accounts: sign-in by username or e-mail, reset, verification, single sign-on and two-factor.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    # The project's apps, lowest first: each may use only the ones listed before it.
    "core",
    "accounts",
    "advocacy",
    "rotations",
    "issues",
    "themes",
    "insights",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First of ours: behind a trusted proxy, REMOTE_ADDR becomes the real client's address.
    "core.clients.ClientAddressMiddleware",
    # Every request starts in UTC; program pages activate their program's zone.
    "core.zones.ResetTimeZone",
    # Before anything reads the request: what the database or Django cannot handle (a NUL byte,
    # an impossible admin date) is a plain 400.
    "core.edge.RefuseUnstorableInput",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff set up two-factor before the admin; a program may ask it of its members.
    "accounts.mfa.RequireTwoFactor",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSPMiddleware: the sign-in pages' forms may lead on to the single sign-on providers.
    "accounts.sso.AllowProviderFormAction",
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
            # `day` and `moment`: the one way every page writes a date or a time (core.when);
            # `page_url`: an argument-less page's address, reversed once (core.templatetags.links).
            "builtins": ["core.templatetags.when", "core.templatetags.links"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'baton.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The first run's web server, workers and beat share one SQLite file. A transaction that
    # reads and then writes cannot wait for a lock it would upgrade ("database is locked" at
    # once, as beat saw while a worker wrote); taking the write lock at BEGIN lets the busy
    # timeout do its work, and WAL lets pages read while a job writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# The log's statements are prepared once per connection on PostgreSQL (core.prepared); off behind
# a pooler that shares server connections between clients (PgBouncer in transaction mode).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Username or e-mail address, and single sign-on.
    "allauth.account.auth_backends.AuthenticationBackend",
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

# Accounts (django-allauth). People sign in with their username or e-mail address; a new
# address is verified before it counts; a forgotten password is reset by e-mail. People join
# through a manager's invitation (advocacy) or single sign-on; open sign-up is off unless
# ACCOUNT_ALLOW_SIGNUP says so.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_ALLOW_SIGNUP = env.bool("ACCOUNT_ALLOW_SIGNUP", default=False)
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_FORMS = {"login": "accounts.forms.SignInForm", "change_password": "accounts.forms.ChangePasswordForm"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# A new address (a changed one, or one added in the admin) gets a verification link, and replaces
# the old one only once verified; accounts made before Baton verified addresses still sign in.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True  # one address per person: a new one replaces the old once verified
ACCOUNT_EMAIL_NOTIFICATIONS = True  # "your password / e-mail changed" notices
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Baton: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL_IS_HTTPS else "http"
# allauth's own limits, on top of django-axes' lockout below (five failures for one name from one
# address): failed sign-ins for one name from many addresses, and anything sent too often.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,10/300s/key",
    "reset_password": "20/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/180s/key",
    "manage_email": "10/m/user",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "login": "30/m/ip",
}
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # a provider's button posts; a link cannot start a sign-in
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True  # a verified address from the provider signs its owner in
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
# Which addresses are invited, asked of the apps above accounts (it never imports them).
ACCOUNTS_INVITATION_CHECKS = ["advocacy.invitations.is_invited"]
# A first single sign-on provider from the environment (more in the admin: Social applications).
# Baton's provider class sends a nonce with every sign-in and checks it in the id_token (accounts.oidc).
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [], "provider_class": "accounts.oidc.OpenIDConnectProvider"}
}
if env("OIDC_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": env("OIDC_PROVIDER_ID", default="company"),
            "name": env("OIDC_NAME", default="Company sign-in"),
            "client_id": env("OIDC_CLIENT_ID"),
            "secret": env("OIDC_CLIENT_SECRET", default=""),
            "settings": {
                "server_url": env("OIDC_SERVER_URL"),
                "allowed_domains": env.list("OIDC_ALLOWED_DOMAINS", default=[]),
                "signup": env("OIDC_SIGNUP", default="invited"),
                "password_login_off": env.bool("OIDC_PASSWORD_LOGIN_OFF", default=False),
                "trust_email": env.bool("OIDC_TRUST_EMAIL", default=False),
                "oauth_pkce_enabled": True,
            },
        }
    )
# Two-factor: an authenticator app (TOTP) and recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="Baton")
MFA_RECOVERY_CODE_COUNT = 10
# Accounts come from administrators and invitations (sign-up is closed), so an address not yet
# verified does not keep staff from the authenticator app the admin asks for.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Staff set up an authenticator app before they reach the Django admin.
ACCOUNTS_STAFF_TWO_FACTOR = env.bool("ACCOUNTS_STAFF_TWO_FACTOR", default=True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Baton speaks English only: its own text is not marked for translation, and Django's own
# strings are English as written. Off, every gettext (a month's name, a form's message) is the
# string itself rather than a lookup of the active language's catalogue (11 µs a month name).
USE_I18N = False
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
# A mail server that accepts the connection and then says nothing must not hold a worker for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
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
# the outbox (core.outbox) and sent by its flush once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Every Celery task in one table: its queue and, for a periodic one, its beat entry and schedule.
# Beat copies the entries into django-celery-beat's tables, where admins edit them; an entry's
# name is its key there, so keep the names. Two queues: the default one for the work that must
# never wait (handoffs, reminders, the outbox), and "io" for the slow work that waits on other
# servers or reads large files (feed polls, imports, outgoing e-mail), consumed by a worker of
# its own (Procfile, Procfile.dev: worker-io) so a hanging feed or mail server never holds up a
# handoff. A test checks that each task here is registered and vice versa, and that every queue
# has a worker.
CELERY_TASK_DEFAULT_QUEUE = "celery"
_Q = CELERY_TASK_DEFAULT_QUEUE
_IO = "io"
# fmt: off
_TASKS = [
    # task                                              queue  beat entry                             schedule (s)
    ("baton.ping",                                      _Q,    None,                                  None),
    # Sends the jobs the outbox kept while the broker was down.
    ("core.tasks.flush_outbox",                         _Q,    "core-flush-outbox",                   60.0),
    # Proves a worker finishes tasks: /health/ fails when the last one is too old.
    ("core.tasks.heartbeat",                            _Q,    "core-heartbeat",                      60.0),
    # Account e-mails (reset, verification), rendered in the request; and the sweep for failed ones.
    ("core.tasks.send_queued_mail",                     _IO,   None,                                  None),
    ("core.tasks.send_pending_mail",                    _Q,    "core-send-pending-mail",              120.0),
    ("advocacy.tasks.send_notification_email",          _IO,   None,                                  None),
    ("advocacy.tasks.send_invitation_email",            _IO,   None,                                  None),
    # Queues again the invitation e-mails a mail-server failure left unsent.
    ("advocacy.tasks.send_pending_invitation_emails",   _Q,    "advocacy-send-pending-invitations",   120.0),
    # Queues again the e-mails a mail-server failure left unsent.
    ("advocacy.tasks.send_pending_notification_emails", _Q,    "advocacy-send-pending-emails",        60.0),
    ("rotations.tasks.run_handoffs",                    _Q,    "rotations-run-handoffs",              60.0),
    ("rotations.tasks.handoff_program",                 _Q,    None,                                  None),
    ("rotations.tasks.send_reminders",                  _Q,    "rotations-send-reminders",            15 * 60.0),
    ("rotations.tasks.send_program_reminders",          _Q,    None,                                  None),
    ("issues.tasks.ask_satisfaction",                   _IO,   None,                                  None),
    ("issues.tasks.send_tracking_links",                _IO,   None,                                  None),
    ("issues.tasks.notify_overdue_issues",              _Q,    "issues-notify-overdue",               300.0),
    # Marks the issues past their first-outreach target, for the log's kept overdue counts.
    ("issues.tasks.count_past_due_issues",              _Q,    "issues-count-past-due",               60.0),
    # Opens the recovery question of each resolution whose day has come (once per resolution), and its e-mail.
    ("issues.tasks.open_recovery_checks",               _Q,    "issues-open-recovery-checks",         3600.0),
    ("issues.tasks.send_recovery_question",             _IO,   None,                                  None),
    ("issues.tasks.poll_mention_feeds",                 _IO,   "issues-poll-mention-feeds",           900.0),
    ("issues.tasks.send_daily_digests",                 _Q,    "issues-daily-digest",                 3600.0),
    ("issues.tasks.escalate_untouched_issues",          _Q,    "issues-escalate-untouched",           3600.0),
    ("issues.tasks.poll_mention_feed",                  _IO,   None,                                  None),
    ("issues.tasks.run_import",                         _IO,   None,                                  None),
    # Queues again the satisfaction and recovery questions and tracking links a mail-server failure left unsent.
    ("issues.tasks.resend_pending_work",                _Q,    "issues-resend-pending-work",          300.0),
    # Imports whose worker died mid-way (no progress for ten minutes), or whose message the broker lost, are sent again.
    ("issues.tasks.requeue_stuck_imports",              _Q,    "issues-requeue-stuck-imports",        300.0),
    # Monday 07:00 UTC; the later Monday runs only catch up what a broker outage kept from going out
    # (each member gets one brief a week: the send is deduplicated per program, week and person).
    ("insights.tasks.send_weekly_briefs",               _Q,    "insights-weekly-brief",               crontab(minute=0, hour="7-12", day_of_week="mon")),
    ("insights.tasks.build_term_report",                _Q,    None,                                  None),
    # Queues again the build of any term report a crashed build left missing.
    ("insights.tasks.build_missing_term_reports",       _Q,    "insights-build-missing-term-reports", 600.0),
    # Recomputes the stored health and brief figures of programs too big to count on every view.
    ("insights.tasks.refresh_snapshots",                _Q,    "insights-refresh-snapshots",          120.0),
    # Turns a stored webhook delivery into a hot issue; on "io" so a burst never holds up a handoff.
    ("integrations.tasks.process_delivery",             _IO,   None,                                  None),
    # Turns a stored forwarded e-mail into a hot issue.
    ("integrations.tasks.process_mail",                 _IO,   None,                                  None),
    # Queues again the deliveries and e-mails whose job was lost (a worker died mid-way).
    ("integrations.tasks.requeue_stuck_deliveries",     _Q,    "integrations-requeue-stuck-deliveries", 300.0),
    # Posts one message to a Slack or Teams channel; on "io" (it waits on their servers), spaced per channel.
    ("integrations.tasks.send_channel_message",         _IO,   None,                                  None),
    # Queues again the channel messages whose job was lost or whose worker died mid-send.
    ("integrations.tasks.requeue_unsent_channel_messages", _Q, "integrations-requeue-channel-messages", 300.0),
]
# fmt: on
# /health/ fails when no task has finished for this many minutes (the heartbeat runs every minute).
WORKER_SILENT_AFTER_MINUTES = env.int("WORKER_SILENT_AFTER_MINUTES", default=5)
CELERY_TASK_ROUTES = {task: {"queue": queue} for task, queue, _, _ in _TASKS}
CELERY_BEAT_SCHEDULE = {entry: {"task": task, "schedule": every} for task, _, entry, every in _TASKS if entry}

# Logs: one line per request and per task, as JSON in production
# (LOG_FORMAT=json). Contact details are scrubbed from every record.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "config.observability.RedactContactDetails"},
        "server_errors_only": {"()": "config.observability.DropClientErrors"},
    },
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
        # 4xx responses are in our request log already (without the raw path).
        "django.request": {"filters": ["server_errors_only"]},
        "axes": {"level": "WARNING"},
        # aiosmtpd (the SMTP receiver) logs every command of every session at INFO.
        "mail.log": {"level": "WARNING"},
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
# Database sessions that know whose they are, so deactivating a person signs them out everywhere.
SESSION_ENGINE = "core.sessions"

# One cache for the processes of a site (allauth's rate limits count in it): Redis in production
# (CACHE_URL=redis://…), this process's memory otherwise.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Login throttling (django-axes): five failures for a username from one address
# lock that pair out for 15 minutes; a successful login resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The same client address as everywhere else (TRUSTED_PROXIES below), also when
# axes is asked from the authentication backend.
AXES_CLIENT_IP_CALLABLE = "core.clients.client_ip"
# The sign-in form takes a username or an e-mail address: axes counts the account either names.
AXES_USERNAME_CALLABLE = "accounts.throttling.attempted_login"

# The networks of the reverse proxies in front of Baton (CIDR, comma-separated).
# Requests from them are attributed to the right-most X-Forwarded-For address
# that is not one of them; from anywhere else, the header is ignored.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# SQLite (the no-services default) ignores the covering columns of the hot-issue
# log's index; PostgreSQL uses them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# The demo command runs these in order; each receives and extends a shared context.
# Explicit hooks (see advocacy/hooks.py): when a lower app's action lets the apps above it act,
# these are ALL the participants, in the order they run. Each runs inside the action's
# transaction and returns what it did, which the action records and reports.
HANDOFF_PARTICIPANTS = [
    "issues.receivers.on_handoff",  # every open issue passes to the incoming advocate
    "insights.receivers.queue_term_report",  # the outgoing term's report, built after commit
    "integrations.receivers.post_handoff",  # Slack/Teams channels hear of it, with the note's first lines
]
# rotations.hooks.handoff_unacknowledged, from the reminders job.
HANDOFF_UNACKNOWLEDGED_PARTICIPANTS = [
    "integrations.receivers.post_unacknowledged_handoff",  # Slack/Teams channels, once per handoff
]
# issues.hooks.alert: a new level 4–5 issue, overdue, a runaround, a reopening recovery answer.
ISSUE_ALERT_PARTICIPANTS = [
    "integrations.receivers.post_issue_alert",  # Slack/Teams channels, once per issue and event
]
# insights.hooks.briefs_due, from the weekly brief job.
WEEKLY_BRIEF_PARTICIPANTS = [
    "integrations.receivers.post_weekly_briefs",  # Slack/Teams channels, once per program and week
]
PROGRAM_CREATED_PARTICIPANTS = [
    "issues.receivers.seed_root_causes",  # the default list of root causes, for managers to edit
]
PROGRAM_CHANGED_PARTICIPANTS = [
    "rotations.receivers.reschedule_after_program_change",  # terms follow a new zone or handoff time
]
MEMBERSHIP_CHANGED_PARTICIPANTS = [
    "rotations.receivers.review_roster_change",  # ledger baseline, roster review of planned terms
]

DEMO_BUILDERS = [
    "advocacy.demo.build",
    "rotations.demo.build",
    "issues.demo.build",
    "themes.demo.build",
    "insights.demo_brief.build",
    "insights.demo.build",
    "integrations.demo.build",
]


# Mention feeds are polled only on the public internet; list private networks
# (CIDR, comma-separated) to allow anyway, e.g. an intranet feed server.
ISSUES_FEED_ALLOWED_NETWORKS = env.list("ISSUES_FEED_ALLOWED_NETWORKS", default=[])
# Each fetch of a feed must be complete (connect, headers, body) within this many
# seconds, however slowly the server drips its answer.
ISSUES_FEED_DEADLINE = env.float("ISSUES_FEED_DEADLINE", default=30)

# Outgoing Slack and Teams webhooks go to the public internet only; list private networks
# (CIDR, comma-separated) to allow anyway, e.g. a chat server on the intranet.
INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS = env.list("INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS", default=[])
# Each post to a channel must be complete (connect, send, answer) within this many seconds.
INTEGRATIONS_WEBHOOK_DEADLINE = env.float("INTEGRATIONS_WEBHOOK_DEADLINE", default=10)
# At most one message per this many seconds to each channel (Slack's limit for incoming webhooks).
INTEGRATIONS_WEBHOOK_INTERVAL = env.float("INTEGRATIONS_WEBHOOK_INTERVAL", default=1)

# Program health and brief figures that take longer than this to compute are
# stored and refreshed every few minutes by Celery instead of counted per view.
INSIGHTS_SNAPSHOT_AFTER_SECONDS = env.float("INSIGHTS_SNAPSHOT_AFTER_SECONDS", default=0.5)

# E-mail in: each program's address is this mailbox with a plus-tag (advocate+support-desk-x7k2qm@example.com).
# Point the mailbox's domain at an e-mail service's inbound webhook or at `manage.py receive_mail`.
INBOUND_EMAIL_ADDRESS = env("INBOUND_EMAIL_ADDRESS", default="advocate@localhost")
# A larger mail is refused (SMTP 552) and recorded without its content.
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=10 * 1024 * 1024)
# A mail with more attachments than this is refused (recorded); Baton keeps no attachment either way.
INBOUND_EMAIL_MAX_ATTACHMENTS = env.int("INBOUND_EMAIL_MAX_ATTACHMENTS", default=20)
# Mails from one sender to one program that become issues in an hour; the rest are recorded as rate limited.
INBOUND_EMAIL_PER_SENDER_PER_HOUR = env.int("INBOUND_EMAIL_PER_SENDER_PER_HOUR", default=10)
# The e-mail services' inbound webhooks (django-anymail). Postmark, SendGrid and Amazon SES prove a post
# with HTTP basic auth ("user:password" in the webhook URL, ANYMAIL_WEBHOOK_SECRET); Mailgun signs it with
# its webhook signing key. A service whose secret is not set gets 404 from its webhook.
ANYMAIL = {
    "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default=""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
    "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": env.bool("AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS", default=True),
}
