"""Keyprojects settings: one file, every knob read from the environment.

Development needs no environment at all (SQLite in var/, DEBUG on). Production sets
DJANGO_ENV=production, which turns DEBUG off, demands a real secret key and allowed hosts,
and switches on the secure-cookie and HSTS settings that `manage.py check --deploy` asks for.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_str("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters in production.")
else:
    # Development only: a fixed key is harmless on a laptop; production refuses to start without one.
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-insecure-keyprojects-key-for-local-use-only-0123456789")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "keyprojects.core",
    "keyprojects.accounts",
    "keyprojects.projects",
    "keyprojects.investment",
    "keyprojects.problems",
    "keyprojects.imports",
    "keyprojects.bulletins",
    "keyprojects.daily",
    "keyprojects.dispatch",
    "keyprojects.opendata",
    "keyprojects.meetings",
    "keyprojects.robots",
    "keyprojects.dashboards",
    "keyprojects.api",
    "keyprojects.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "keyprojects.core.middleware.ContentSecurityPolicyMiddleware",
    "keyprojects.accounts.middleware.RequestAddressMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second step of a two-factor log-in.
    "django_otp.middleware.OTPMiddleware",
    "keyprojects.accounts.middleware.TwoFactorMiddleware",
    "keyprojects.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "keyprojects.core.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a log-in refused because of a lockout into the lockout page (or JSON for the API).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "keyprojects.urls"
WSGI_APPLICATION = "keyprojects.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "keyprojects" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "keyprojects.accounts.context_processors.shell",
                "keyprojects.problems.context_processors.unread_notices",
                "keyprojects.accounts.guide.help_link",
            ],
        },
    },
]

DATA_DIR = Path(env_str("KEYPROJECTS_DATA_DIR", str(BASE_DIR / "var")))


def database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0))
    if config["ENGINE"] == "django.db.backends.postgresql":
        # The health rules make long statements of small subqueries; PostgreSQL's JIT compiler spends
        # longer compiling them than running them (0.3–0.5 s on a city page), so it stays off.
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the task worker write while the web process reads; the timeout rides out short locks.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {"default": database(env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'keyprojects.sqlite3'}"))}
# PostgreSQL streaming replicas (comma-separated URLs, e.g. postgres://app@replica-1/keyprojects): the
# dashboards, lists and API reads of GET requests go to one of them, everything else to the primary
# (keyprojects.core.routers, docs/deploy.md). Without them, nothing is routed.
DATABASE_REPLICAS = []
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    alias = f"replica{number}"
    # Tests run against the primary's test database unless a test sets up a replica of its own.
    DATABASES[alias] = {**database(url), "TEST": {"MIRROR": "default"}}
    DATABASE_REPLICAS.append(alias)
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["keyprojects.core.routers.ReplicaRouter"]
    # Before every middleware that reads the database (sessions, users), right after the HTTPS redirect.
    MIDDLEWARE.insert(1, "keyprojects.core.replicas.ReplicaReadsMiddleware")
# After a request that wrote, the same browser reads the primary for this long: replication lag is
# usually well under a second, and a person must always see what they have just saved.
KEYPROJECTS_REPLICA_PIN_SECONDS = env_int("KEYPROJECTS_REPLICA_PIN_SECONDS", 10)

# Redis (REDIS_URL, e.g. redis://cache:6379/0) as the cache shared by every app server; without it each
# process keeps its own cache in memory (Django's default).
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL"),
        }
    }
# /healthz answers 503 ("degraded") when the oldest task ready to run has waited longer than this: the
# task worker is down or cannot keep up.
KEYPROJECTS_HEALTH_MAX_TASK_AGE = env_int("KEYPROJECTS_HEALTH_MAX_TASK_AGE", 900)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Checked when a password is set through a form (change, reset, the admin); the demo sets its users'
# passwords directly.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("KEYPROJECTS_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "keyprojects.accounts.passwords.ForbiddenWordsValidator"},
]
# AxesBackend first: it refuses a locked-out user before the password is even checked (and, being a
# ModelBackend too, it can load the user of a session).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesBackend", "django.contrib.auth.backends.ModelBackend"]

# The addresses of our own reverse proxies (comma-separated). Only a request coming from one of them may say
# through X-Forwarded-For whom it forwards; empty (the default) means the header is never believed.
KEYPROJECTS_TRUSTED_PROXIES = env_list("KEYPROJECTS_TRUSTED_PROXIES")
# django-ninja's throttles read the header unless told there are no proxies; ours use client_address().
NINJA_NUM_PROXIES = 0

# Guessing passwords (django-axes): after this many failures for one user name from one address, that pair
# is locked out for the cool-off time (other users, and the same user elsewhere, are not). The county office
# or an administrator lifts a lockout sooner with `manage.py unlock <username>`.
AXES_FAILURE_LIMIT = env_int("KEYPROJECTS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KEYPROJECTS_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "keyprojects.accounts.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "keyprojects.accounts.views.lockout"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every manage.py command

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "keyprojects" / "locale"]
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "keyprojects" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files live outside the web root and are served only through permission-checked views.
MEDIA_ROOT = Path(env_str("KEYPROJECTS_MEDIA_ROOT", str(DATA_DIR / "uploads")))

TASKS = {
    "default": {
        "BACKEND": env_str("KEYPROJECTS_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "keyprojects@localhost")

# The map's tile layer. County intranets have no internet: empty means points on a plain background.
KEYPROJECTS_MAP_TILE_URL = env_str("KEYPROJECTS_MAP_TILE_URL", "")
KEYPROJECTS_MAP_TILE_ATTRIBUTION = env_str("KEYPROJECTS_MAP_TILE_ATTRIBUTION", "")

# Monthly reports are due by this day of the following month; later, the month is flagged as missing.
KEYPROJECTS_REPORT_DEADLINE_DAY = env_int("KEYPROJECTS_REPORT_DEADLINE_DAY", 3)

# Problems: overdue longer than this escalates one level (department → leader in charge → county head).
KEYPROJECTS_ESCALATE_AFTER_DAYS = env_int("KEYPROJECTS_ESCALATE_AFTER_DAYS", 7)
KEYPROJECTS_ATTACHMENT_MAX_BYTES = env_int("KEYPROJECTS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
KEYPROJECTS_WEBHOOK_TIMEOUT = env_int("KEYPROJECTS_WEBHOOK_TIMEOUT", 5)
# The site's address as people open it ("https://xm.example.gov.cn"): chat messages and webhooks carry links
# made absolute with it. Empty: links are sent as paths.
KEYPROJECTS_SITE_URL = env_str("KEYPROJECTS_SITE_URL", "").rstrip("/")
# Notices by e-mail and chat robot: a failed one is tried again after this many seconds, doubling each
# time (5, 10, 20, 40 minutes), and given up after this many attempts in all.
KEYPROJECTS_DELIVERY_RETRY_SECONDS = env_int("KEYPROJECTS_DELIVERY_RETRY_SECONDS", 300)
KEYPROJECTS_DELIVERY_MAX_ATTEMPTS = env_int("KEYPROJECTS_DELIVERY_MAX_ATTEMPTS", 5)

# Registry import from Excel (.xlsx, .xls) or CSV: the largest file and number of project rows accepted, and
# up to how many rows an import runs inside the upload request (more go to the task worker, with a progress
# bar).
KEYPROJECTS_IMPORT_MAX_BYTES = env_int("KEYPROJECTS_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
KEYPROJECTS_IMPORT_MAX_ROWS = env_int("KEYPROJECTS_IMPORT_MAX_ROWS", 20_000)
KEYPROJECTS_IMPORT_INLINE_ROWS = env_int("KEYPROJECTS_IMPORT_INLINE_ROWS", 200)
# What an uploaded workbook may unpack to, checked part by part before openpyxl opens it (a 300 KB file can
# unpack to gigabytes). openpyxl parses the styles, the shared strings and the small parts (workbook,
# relationships, properties) whole, so they are bounded tightly; worksheets are streamed, and their cells
# (formatted empty ones too) are counted. A part that unpacks to more than 1 MB may not be packed more
# than KEYPROJECTS_IMPORT_MAX_RATIO times smaller (workbooks pack 5 to 20 times; bombs, hundreds of times).
# A worksheet written by openpyxl (our own exports) holds its texts inline: 20,000 rows of 25 columns unpack
# to about 40 MB.
KEYPROJECTS_IMPORT_MAX_STYLES_BYTES = env_int("KEYPROJECTS_IMPORT_MAX_STYLES_BYTES", 3 * 1024 * 1024)
KEYPROJECTS_IMPORT_MAX_SHARED_STRINGS_BYTES = env_int(
    "KEYPROJECTS_IMPORT_MAX_SHARED_STRINGS_BYTES", 20 * 1024 * 1024
)
KEYPROJECTS_IMPORT_MAX_SHEET_BYTES = env_int("KEYPROJECTS_IMPORT_MAX_SHEET_BYTES", 100 * 1024 * 1024)
KEYPROJECTS_IMPORT_MAX_PART_BYTES = env_int("KEYPROJECTS_IMPORT_MAX_PART_BYTES", 2 * 1024 * 1024)
KEYPROJECTS_IMPORT_MAX_UNPACKED_BYTES = env_int("KEYPROJECTS_IMPORT_MAX_UNPACKED_BYTES", 150 * 1024 * 1024)
KEYPROJECTS_IMPORT_MAX_RATIO = env_int("KEYPROJECTS_IMPORT_MAX_RATIO", 100)
# Cells (and rows) of a worksheet, texts of the shared strings: 22,000 rows (20,000 projects and the layout's
# rows) of 30 columns pass with room to spare.
KEYPROJECTS_IMPORT_MAX_CELLS = env_int("KEYPROJECTS_IMPORT_MAX_CELLS", 1_000_000)
# An import whose worker shows no progress for this long has died (the server restarted, the process was
# killed): it is marked failed, nothing having been written, and the office can run it again.
KEYPROJECTS_IMPORT_STALE_MINUTES = env_int("KEYPROJECTS_IMPORT_STALE_MINUTES", 15)

# Registry exports of more projects than this are written by the task worker: the user sees their progress and
# downloads the file from the export's page (kept for 24 hours); smaller ones are sent at once.
KEYPROJECTS_EXPORT_BACKGROUND_ROWS = env_int("KEYPROJECTS_EXPORT_BACKGROUND_ROWS", 2000)

# Tasks enqueued by `manage.py run_scheduler` every hour (each is idempotent).
KEYPROJECTS_PERIODIC_TASKS = [
    "keyprojects.problems.tasks.daily_problem_check",
    "keyprojects.problems.tasks.retry_failed_deliveries",
    "keyprojects.imports.tasks.fail_stale_imports",
    "keyprojects.bulletins.tasks.report_reminders",
    "keyprojects.meetings.tasks.decision_reminders",
    "keyprojects.dispatch.tasks.dispatch_reminders",
]

# API tokens: how long a personal access token lives before it must be renewed.
KEYPROJECTS_API_TOKEN_DAYS = env_int("KEYPROJECTS_API_TOKEN_DAYS", 90)

SESSION_COOKIE_HTTPONLY = True
# A session ends 12 hours after it was last changed (logging in starts it) whatever is done meanwhile, and
# with the browser: on a shared office computer, closing the browser logs out.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
X_FRAME_OPTIONS = "DENY"
# A refused form (stale or missing CSRF token) gets the product's 403 page, in the user's language.
CSRF_FAILURE_VIEW = "keyprojects.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Standard output: the process manager (systemd, the container runtime) collects and ships it.
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of every PDF it lays out at INFO: only its warnings are news.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

SITE_TITLE = _("Keyprojects")

# Outside production, WhiteNoise serves straight from the app folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
