"""The one settings file. Everything that differs between deployments comes from the environment.

In debug and demo mode (WANGGE_DEBUG or WANGGE_DEMO true) missing secrets are generated once and kept
under var/, so `make demo` needs no set-up. Otherwise a missing secret is a clear error naming the variable.
"""

import base64
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("WANGGE_VAR_DIR", PROJECT_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool = False) -> bool:
    """A boolean from the environment; nonsense is an error, not False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def envint(name: str, default: int) -> int:
    """An integer from the environment; nonsense is an error."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    """A comma-separated list from the environment."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = envbool("WANGGE_DEBUG")
DEMO = envbool("WANGGE_DEMO")
DEV_DEFAULTS = DEBUG or DEMO


def _generated(name: str, filename: str, make: callable) -> str:
    """The value of a secret: the environment's, or in debug/demo mode one generated once under var/."""
    value = os.environ.get(name)
    if value:
        return value
    if not DEV_DEFAULTS:
        raise ImproperlyConfigured(f"{name} is not set. Set it in the environment (see README, Configuration).")
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _new_key_ring() -> str:
    return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = _generated("WANGGE_SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
# Key ring for PII encryption: "id:base64key,id:base64key"; the first is used to encrypt.
PII_KEYS = _generated("WANGGE_PII_KEYS", "pii_keys", _new_key_ring)
# Key of the blind index (HMAC) used for exact lookup of encrypted values. Never rotated with PII_KEYS.
PII_INDEX_KEY = _generated("WANGGE_PII_INDEX_KEY", "pii_index_key", lambda: secrets.token_urlsafe(32))

ALLOWED_HOSTS = envlist("WANGGE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEV_DEFAULTS else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("WANGGE_ALLOWED_HOSTS is not set. Name the host names this server answers to.")
CSRF_TRUSTED_ORIGINS = envlist("WANGGE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "wangge.core",
    "wangge.accounts",
    "wangge.territory",
    "wangge.people",
    "wangge.cases",
    "wangge.open311",
    "wangge.inspections",
    "wangge.campaigns",
    "wangge.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wangge.core.middleware.RequestContextMiddleware",
    "wangge.core.middleware.NullCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wangge.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"

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
                "wangge.accounts.context_processors.navigation",
                "wangge.core.notification_views.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'wangge.sqlite3'}",
        conn_max_age=envint("WANGGE_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the demo server and a command (sweep, import) share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["wangge.accounts.backends.LockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "territory:overview"
LOGOUT_REDIRECT_URL = "accounts:login"
# Lockout: this many failed sign-ins for one user name within the window lock it for the window.
LOGIN_FAILURE_LIMIT = envint("WANGGE_LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_MINUTES = envint("WANGGE_LOGIN_FAILURE_WINDOW_MINUTES", 15)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if DEV_DEFAULTS:
    # Whitenoise expects the collected folder; in debug and demo mode it stays empty (files come from finders).
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production serves hashed, compressed files made by `collectstatic`; debug and demo serve the
        # source folders directly, so no collect step is needed.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEV_DEFAULTS
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = DEV_DEFAULTS

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("WANGGE_SECURE_COOKIES", not DEV_DEFAULTS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "wangge.accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "wangge.accounts.access.HasOfficeRole",
    ],
    "DEFAULT_PAGINATION_CLASS": "wangge.core.rest.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "wangge.core.schema.AutoSchema",  # documents the errors every operation can answer
    "EXCEPTION_HANDLER": "wangge.core.rest.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "wangge API",
    "DESCRIPTION": "社区网格化治理平台 REST API. Every list is scoped to the caller's areas.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "wangge.cases.models.State",
        "RejectReasonEnum": "wangge.cases.models.RejectReason",
        # A second "status" enum (checklists) would otherwise rename the shops' one in the published schema.
        "StatusEnum": "wangge.territory.models.ShopStatus",
    },
}

# What the map draws under the grids: a URL template and the coordinate system its tiles use
# (wgs84 for Tianditu/OSM-style tiles, gcj02 for AMap/Tencent). Empty: no tiles, only our shapes.
MAP_TILE_URL = os.environ.get("WANGGE_MAP_TILE_URL", "")
MAP_TILE_CRS = os.environ.get("WANGGE_MAP_TILE_CRS", "wgs84")
MAP_TILE_ATTRIBUTION = os.environ.get("WANGGE_MAP_TILE_ATTRIBUTION", "")
if MAP_TILE_CRS not in {"wgs84", "gcj02", "bd09"}:
    raise ImproperlyConfigured(f"WANGGE_MAP_TILE_CRS must be wgs84, gcj02 or bd09, not {MAP_TILE_CRS!r}")

# Photos: refused above this size or pixel count (decompression bombs), stored with at most this long side.
PHOTO_MAX_BYTES = envint("WANGGE_PHOTO_MAX_MB", 10) * 1024 * 1024
PHOTO_MAX_PIXELS = envint("WANGGE_PHOTO_MAX_MEGAPIXELS", 40) * 1_000_000
PHOTO_MAX_SIDE = envint("WANGGE_PHOTO_MAX_SIDE", 1600)
# Campaign evidence documents (PDF, Word, Excel): refused above this size.
EVIDENCE_MAX_BYTES = envint("WANGGE_EVIDENCE_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Working time for deadlines counted in working hours; holidays and make-up workdays are data (CalendarDay).
WORKING_HOURS = envlist("WANGGE_WORKING_HOURS", ["08:30-12:00", "14:00-17:30"])

# E-mail notifications (the outbox sends them); nothing is sent until a host is configured.
EMAIL_BACKEND = os.environ.get(
    "WANGGE_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("WANGGE_EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("WANGGE_EMAIL_HOST", "")
EMAIL_PORT = envint("WANGGE_EMAIL_PORT", 465)
EMAIL_HOST_USER = os.environ.get("WANGGE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WANGGE_EMAIL_PASSWORD", "")
EMAIL_USE_SSL = envbool("WANGGE_EMAIL_SSL", True)
DEFAULT_FROM_EMAIL = os.environ.get("WANGGE_EMAIL_FROM", "wangge@localhost")

# The people register (see the README's privacy section).
# Archived residents (moved out, deceased) are purged by `wangge sweep` this many days after archiving.
PEOPLE_RETENTION_DAYS = envint("WANGGE_PEOPLE_RETENTION_DAYS", 365)
# How many days after a visit its inspection may still be entered (a phone without signal, paper notes).
INSPECTION_LATE_ENTRY_DAYS = envint("WANGGE_INSPECTION_LATE_ENTRY_DAYS", 7)
# A floating resident should be registered (居住登记) within this many days of moving in.
REGISTRATION_DUE_DAYS = envint("WANGGE_REGISTRATION_DUE_DAYS", 30)
# Residence permits expiring within this many days are listed and reminded of.
PERMIT_EXPIRY_NOTICE_DAYS = envint("WANGGE_PERMIT_EXPIRY_NOTICE_DAYS", 30)

# Background jobs (Excel imports): stored in the database and run by `wangge worker` (`wangge demo` starts one).
# "immediate" runs them inside the request instead (tests, or a deployment without a worker).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_task_backend = os.environ.get("WANGGE_TASKS", "database")
if _task_backend not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"WANGGE_TASKS must be one of {', '.join(_TASK_BACKENDS)}")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_task_backend]}}

# The progress of running imports, shared by the worker and the web processes on one machine.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "progress": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "progress"},
}

# Look-ups by a full ID or phone number: at most this many per user and window (each one is audited).
PEOPLE_NUMBER_SEARCH_LIMIT = envint("WANGGE_PEOPLE_NUMBER_SEARCH_LIMIT", 30)
PEOPLE_NUMBER_SEARCH_WINDOW_SECONDS = envint("WANGGE_PEOPLE_NUMBER_SEARCH_WINDOW_SECONDS", 600)

# Excel ledgers: the largest workbook and the most rows one import takes.
IMPORT_MAX_MB = envint("WANGGE_IMPORT_MAX_MB", 50)
IMPORT_MAX_ROWS = envint("WANGGE_IMPORT_MAX_ROWS", 200_000)

# Residents' reports: at most this many from one client address per window (a shared cache in production).
REPORT_RATE_LIMIT = envint("WANGGE_REPORT_RATE_LIMIT", 5)
REPORT_RATE_WINDOW_SECONDS = envint("WANGGE_REPORT_RATE_WINDOW_SECONDS", 600)

# Open311 GeoReport v2: requests a key may file per minute, and what `discovery` tells integrators.
OPEN311_RATE_LIMIT = envint("WANGGE_OPEN311_RATE_LIMIT", 60)
OPEN311_CONTACT = os.environ.get("WANGGE_OPEN311_CONTACT", "")
OPEN311_KEY_SERVICE = os.environ.get("WANGGE_OPEN311_KEY_SERVICE", "")

# The public address used in printed QR codes (notice boards); empty: the request's own host.
PUBLIC_BASE_URL = os.environ.get("WANGGE_PUBLIC_BASE_URL", "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "wangge.core.middleware.RequestContextFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_context"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
