"""Sentinelle settings: one file, driven by environment variables (see .env.example)."""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SENTINELLE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required when DJANGO_DEBUG is off."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "sentinelle.core",
    "sentinelle.accounts",
    "sentinelle.geography",
    "sentinelle.directory",
    "sentinelle.monitoring",
    "sentinelle.cases",
    "sentinelle.displacement",
    "sentinelle.activities",
    "sentinelle.ingest",
    "sentinelle.api",
    "sentinelle.reports",
    "sentinelle.offline",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
]
# The demo data and `seed_demo` (sentinelle/demo/, not in the wheel): development, and a test instance or the
# bench with SENTINELLE_DEMO on.
if DEBUG or env_bool("SENTINELLE_DEMO", False):
    INSTALLED_APPS.append("sentinelle.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Only with a read replica: remembers a writer's WAL position for read-your-writes (core/db_routing.py).
    "sentinelle.core.db_routing.ReadYourWritesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sentinelle.core.sessions.IdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before anything reads request.GET (the error page is rendered with the user's layout).
    "sentinelle.core.errors.QueryLimitMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sentinelle.core.context_processors.navigation",
            ],
            # Numbers, money and dates the reader's way in every template (core/formatting.py).
            "builtins": ["sentinelle.core.templatetags.formatting"],
        },
    },
]

# Database: PostgreSQL in production through DATABASE_URL; SQLite under var/ otherwise.
_default_sqlite = f"sqlite:///{VAR_DIR / 'sentinelle.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_sqlite),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# A PostgreSQL streaming replica for analysis reads (dashboards, statistics, reports, exports), with
# read-your-writes and a fall-back to the primary past SENTINELLE["REPLICA_MAX_LAG_SECONDS"]: the router and
# the middleware in core/db_routing.py. Writes and every other read stay on the primary.
if _replica_url := env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        _replica_url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # A replica that does not answer is skipped, not waited for.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", 2)}
    # Tests read the test database on the standby, which replays its creation.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["sentinelle.core.db_routing.ReplicaRouter"]
# PgBouncer in transaction mode between Sentinelle and PostgreSQL: no state may outlive a transaction, so no
# server-side cursors (.iterator() would hold one open across transactions). Prepared statements are off
# already (Django's default with psycopg 3).
if env_bool("DATABASE_PGBOUNCER", False):
    for _database in DATABASES.values():
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["sentinelle.accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("SENTINELLE_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: the cookie lives as long as the user is active (idle timeout), never longer. The expiry moves
# at most once a minute (core/sessions.py), not with a write on every request.
SESSION_COOKIE_AGE = env_int("SENTINELLE_IDLE_TIMEOUT_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
# Behind nginx (deploy/nginx-sentinelle.conf): nginx answers plain http with a redirect and sets
# X-Forwarded-Proto; DJANGO_BEHIND_HTTPS_PROXY=true makes Django trust that header (and only then: a client
# could send it too), so that DJANGO_SECURE_SSL_REDIRECT=true redirects only what really came in plain, and
# HSTS and Secure cookies apply. The health check answers over plain http too (monitoring on the machine).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_HTTPS_PROXY", False) else None
)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
# HSTS for every subdomain of the host too (on unless the host has subdomains served over plain http), and
# the preload flag: a commitment of the whole registrable domain to the browsers' preload list, so off
# unless asked. Off, `check --deploy` has nothing to say about it (security.W021 is a decision, not an
# oversight, when DJANGO_HSTS_PRELOAD=false).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: everything from this server, no inline script, no third party.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("SENTINELLE_TIME_ZONE", "Africa/Bamako")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "sentinelle@localhost")

OTP_TOTP_ISSUER = "Sentinelle"

# Side effects (mail, webhooks, alert notifications, follow-ups) are Django tasks queued after commit
# (core/tasks.py). In production they are rows in the database, run by `run_jobs --loop` beside the import
# jobs (retried, failures on the audit log page). In DEBUG they run at once in the request, so that
# `make run` needs no worker and shows each e-mail on the console. SENTINELLE_TASKS=database|immediate.
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_task_backend = env_str("SENTINELLE_TASKS", "immediate" if DEBUG else "database")
if _task_backend not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"SENTINELLE_TASKS must be one of {', '.join(_TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_task_backend]}}

# REST API v1 (sentinelle/api): per-user tokens, the same policy and selectors as the pages.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["sentinelle.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["sentinelle.api.permissions.PolicyPermission"],
    "DEFAULT_SCHEMA_CLASS": "sentinelle.api.schema.DescribedAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per user (or per client address when anonymous), in the database: SENTINELLE["THROTTLES"]["api.*"].
    "DEFAULT_THROTTLE_CLASSES": ["sentinelle.api.throttles.ApiThrottle"],
    # Reverse proxies in front that append the client's address to X-Forwarded-For (nginx:
    # $proxy_add_x_forwarded_for). Every throttle, not only the API's, counts clients by it
    # (core/throttles.client_address); 0 reads REMOTE_ADDR only, the header being the client's own claim.
    "NUM_PROXIES": env_int(
        "SENTINELLE_NUM_PROXIES", 1 if env_bool("DJANGO_BEHIND_HTTPS_PROXY", False) else 0
    ),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sentinelle API",
    "DESCRIPTION": "Protection information management for Mali: REST API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every PDF at INFO; keep the log for what matters.
    # The task worker (run_jobs) says "starting" and "no more tasks" at INFO on every pass, and django-tasks
    # each state of every task: failures are still logged (core/tasks.py) and listed on the audit page.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# Sentinelle's own settings.
SENTINELLE = {
    # Identity-field keys: a JSON key ring, inline or in a file, never in the database.
    # Inline only: SENTINELLE_FIELD_KEYS_FILE is the file setting below, read (and rotated) by core/crypto.py,
    # never loaded here as if it were the inline ring (env_secret would take NAME_FILE so).
    "FIELD_KEYS": env_str("SENTINELLE_FIELD_KEYS", ""),
    "FIELD_KEYS_FILE": env_str(
        "SENTINELLE_FIELD_KEYS_FILE", str(VAR_DIR / "field-keys.json") if DEBUG else ""
    ),
    # Audit chain anchors (core/audit.py): the chain's head, written outside the database to an append-only
    # file in this directory (keep it on another disk, or ship it off the machine). Unset outside DEBUG:
    # not anchored, and audit_verify / audit_anchor / backup say so.
    "AUDIT_ANCHOR_DIR": env_str(
        "SENTINELLE_AUDIT_ANCHOR_DIR", str(VAR_DIR / "audit-anchors") if DEBUG else ""
    ),
    # The worker (run_jobs --loop) anchors the head this often when the log has moved; 0: never.
    "AUDIT_ANCHOR_MINUTES": env_int("SENTINELLE_AUDIT_ANCHOR_MINUTES", 15),
    "DISCLOSURE_THRESHOLD": env_int("SENTINELLE_DISCLOSURE_THRESHOLD", 5),
    # The GBV information-sharing protocol: GBV figures are never broken down below this admin level.
    "GBV_MIN_ADMIN_LEVEL": env_int("SENTINELLE_GBV_MIN_ADMIN_LEVEL", 1),
    # Computed figures (core/figure_cache.py): refreshed by the writes that change them (from the roll-ups,
    # core/rollups.py), else after this.
    "FIGURE_CACHE_SECONDS": env_int("SENTINELLE_FIGURE_CACHE_SECONDS", 900),
    # The read replica (DATABASE_REPLICA_URL, core/db_routing.py): analysis reads go to the primary while
    # it lags more than this, and its state is checked at most this often per process.
    "REPLICA_MAX_LAG_SECONDS": env_int("SENTINELLE_REPLICA_MAX_LAG_SECONDS", 30),
    "REPLICA_CHECK_SECONDS": env_int("SENTINELLE_REPLICA_CHECK_SECONDS", 2),
    # Behind PgBouncer: the same database reached directly, for backup and restore (core/backups.py).
    "DATABASE_DIRECT_URL": env_str("DATABASE_DIRECT_URL", ""),
    # /healthz (core/health.py): a last backup older than this many hours fails the check (0: not checked).
    "HEALTH_BACKUP_HOURS": env_int("SENTINELLE_HEALTH_BACKUP_HOURS", 0 if DEBUG else 26),
    "GEOMETRY_TOLERANCE": float(env_str("SENTINELLE_GEOMETRY_TOLERANCE", "0.01")),
    # Absolute address of the site, for links in e-mails (no personal data ever goes in them).
    "SITE_URL": env_str("SENTINELLE_SITE_URL", "http://127.0.0.1:8000"),
    # Case management deadlines in days, by risk level (agreed with the CP/GBV AoR; configurable).
    "RESPONSE_DEADLINES": {"high": 1, "medium": 3, "low": 7},
    "CASE_PLAN_DEADLINES": {"high": 3, "medium": 7, "low": 14},
    "FOLLOW_UP_DEADLINES": {"high": 7, "medium": 14, "low": 30},
    "REFERRAL_RESPONSE_HOURS": {"emergency": 12, "urgent": 72, "routine": 168},
    # Retention (cases/services/retention.py, `manage.py retention_run`): identities erased this many months
    # after their cases closed, per type of case ("gbv=24,child_protection=60"); a type not named is kept.
    "RETENTION_MONTHS": {
        case_type.strip(): int(months)
        for case_type, _sep, months in (
            item.partition("=") for item in env_str("SENTINELLE_RETENTION_MONTHS", "gbv=24").split(",")
        )
        if case_type.strip() and months.strip()
    },
    "BREAK_GLASS_HOURS": env_int("SENTINELLE_BREAK_GLASS_HOURS", 4),
    "BREAK_GLASS_MAX_HOURS": 24,
    # Alerts: an optional webhook for other tools; old incidents (re-imports) count but raise no alert.
    "ALERT_WEBHOOK_URL": env_str("SENTINELLE_ALERT_WEBHOOK_URL", ""),
    "ALERT_WEBHOOK_TIMEOUT": env_int("SENTINELLE_ALERT_WEBHOOK_TIMEOUT", 5),
    "ALERT_MAX_AGE_DAYS": env_int("SENTINELLE_ALERT_MAX_AGE_DAYS", 90),
    # Imports: files up to this many rows run in the request, larger ones in the worker (run_jobs).
    "IMPORT_INLINE_MAX_ROWS": env_int("SENTINELLE_IMPORT_INLINE_MAX_ROWS", 5000),
    "IMPORT_JOB_TIMEOUT_SECONDS": env_int("SENTINELLE_IMPORT_JOB_TIMEOUT_SECONDS", 600),
    "IMPORT_MAX_BYTES": env_int("SENTINELLE_IMPORT_MAX_BYTES", 20 * 1024 * 1024),
    "IMPORT_KEEP_DAYS": env_int("SENTINELLE_IMPORT_KEEP_DAYS", 30),
    # REST API: days a personal token stays valid.
    "API_TOKEN_DAYS": env_int("SENTINELLE_API_TOKEN_DAYS", 90),
    # Devices (ODK Collect / KoboCollect): largest submission accepted.
    "OPENROSA_MAX_BYTES": env_int("SENTINELLE_OPENROSA_MAX_BYTES", 10 * 1024 * 1024),
    # Offline case work (sentinelle/offline/): a device's copy of the caseload is wiped after this many days
    # without a successful synchronisation.
    "OFFLINE_DAYS": env_int("SENTINELLE_OFFLINE_DAYS", 7),
    # Throttles (core/throttles.py): "hits/period" per door and counted thing, shared by every process.
    "THROTTLES": {
        "signin.client": env_str("SENTINELLE_THROTTLE_SIGNIN_CLIENT", "30/15m"),
        "signin.username": env_str("SENTINELLE_THROTTLE_SIGNIN_USERNAME", "5/15m"),
        "otp.user": env_str("SENTINELLE_THROTTLE_OTP_USER", "5/15m"),
        "api.client": env_str("SENTINELLE_THROTTLE_API_CLIENT", "600/1m"),
        "api.user": env_str("SENTINELLE_THROTTLE_API_USER", "300/1m"),
        "api.auth_failure": env_str("SENTINELLE_THROTTLE_API_AUTH_FAILURE", "20/15m"),
        "device.client": env_str("SENTINELLE_THROTTLE_DEVICE_CLIENT", "30/15m"),
        "device.identifier": env_str("SENTINELLE_THROTTLE_DEVICE_IDENTIFIER", "10/15m"),
        "person_search.user": env_str("SENTINELLE_THROTTLE_PERSON_SEARCH", "60/1h"),
        "offline.enrol": env_str("SENTINELLE_THROTTLE_OFFLINE_ENROL", "10/1d"),
        "offline.device": env_str("SENTINELLE_THROTTLE_OFFLINE_DEVICE", "30/15m"),
        "stats.user": env_str("SENTINELLE_THROTTLE_STATS", "1000/1d"),
    },
}
