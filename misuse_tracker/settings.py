"""Settings for Misuse Tracker, read from the environment (every variable: docs/deploy.md).

Production by default: DEBUG is off unless DEBUG=1, and then SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL (an external PostgreSQL 15 or newer) must be set, or nothing starts. With DEBUG=1
(`make run`, `make test`) and no DATABASE_URL, the embedded PostgreSQL 18 server in var/pgdata is
started or attached to. There is no SQLite anywhere.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless DEBUG=1: `make run` and `make test` set it; a server never should.
DEBUG = env_bool("DEBUG", False)

DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY == DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to at least 50 random characters when DEBUG is off. Make one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must name the site's host(s) when DEBUG is off, e.g. example.org."
    )
# The https origins a form may be posted from, e.g. https://example.org (behind a TLS proxy).
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "misuse_tracker.apps.AdminConfig",  # django.contrib.admin, entered by role
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our own static files
    "simple_history",
    "csp",
    "misuse_tracker",
    "axes",
    "forces",
    "cases",
    "reports",
]

MIDDLEWARE = [
    "misuse_tracker.middleware.RequestIdMiddleware",
    "misuse_tracker.routers.PinResetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "misuse_tracker.middleware.DatabaseUnavailableMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the body (CSRF, forms, uploads); inside CSP, so its 413 carries it.
    "misuse_tracker.middleware.RequestBodyLimitMiddleware",
    "misuse_tracker.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Lets every history row record who made a change through the admin.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # `?release=<number>`: the request reads that release (reports/releases.py). Inside the CSP
    # and framing middleware, so its own answers (a 400) carry their headers too.
    "reports.releases.ReleaseMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "misuse_tracker.urls"

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
                "reports.releases.context",
            ],
        },
    },
]

WSGI_APPLICATION = "misuse_tracker.wsgi.application"

CONN_MAX_AGE = env_int("CONN_MAX_AGE", 60)
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        # A connection kept open is checked before each request reuses it, so the app recovers
        # by itself once the database is back.
        "default": dj_database_url.config(conn_max_age=CONN_MAX_AGE, conn_health_checks=True),
    }
    if "postgresql" not in DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (15 or newer).")
elif DEBUG:
    # The embedded server is for development and tests only, and starts only here.
    from misuse_tracker.embedded_db import server_settings

    DATABASES = {"default": server_settings(BASE_DIR) | {"CONN_HEALTH_CHECKS": True}}
else:
    raise ImproperlyConfigured(
        "DATABASE_URL must be set when DEBUG is off, e.g. postgres://user:password@db.internal:5432/misuse_tracker."
    )
if os.environ.get("DATABASE_REPLICA_URL"):
    # Public pages read from a streaming replica (misuse_tracker/routers.py); writes go to default.
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=CONN_MAX_AGE, conn_health_checks=True
    ) | {"TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["misuse_tracker.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
# `make run` and `make serve` run collectstatic first, so WhiteNoise serves the gzipped copies
# (plotly.js: 1.2 MB → 0.4 MB). Production adds content hashes to names and caches them forever.
# Not from the finders: they hold the plain files only (`make run` again after editing static/).
WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Behind a TLS proxy: the header the proxy sets, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO.
# The site's public address, written into a release's files (its permanent URL, CITATION.cff).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Opt-in: trusted only if the proxy always sets (or strips) it.
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"].strip(), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy (django-csp 4): everything from this site, no inline script or style.
# plotly.js adds one empty <style> element and fills it through CSSOM (insertRule), which CSP
# does not govern; the element itself is allowed by the hash of its empty text, and nothing else
# inline is (docs/deploy.md).
from csp.constants import NONE, SELF  # noqa: E402

PLOTLY_STYLE_HASHES = ["'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, *PLOTLY_STYLE_HASHES],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The read-only API under /api/v1/ (reports/api/, docs/api.md): JSON only, anonymous, GET only.
# `format` is not a query parameter here: every parameter is a filter or refused with a 400.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "reports.api.views.errors_handler",
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": None,
    # Decimals (rates) as JSON numbers, as the .json downloads write them.
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Misuse Tracker API",
    "DESCRIPTION": "Read-only figures of UK police discipline for misusing force IT, from FOI "
    "requests: the same rows, filters and error messages as the site's pages (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "defaultModelsExpandDepth": 0},
    # Every figure's kind ("exact", "at least", "not stated") is one enum in the schema.
    "ENUM_NAME_OVERRIDES": {"FigureKindEnum": "reports.api.serializers.FIGURE_KINDS"},
    # Every operation documents `release` (a citable release instead of the live data).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "reports.api.schema.add_release_parameter",
    ],
}

# Request size limits: what a hostile query string or form can make the server hold.
# Any request body over REQUEST_MAX_BODY_BYTES is refused with a 413 before it is read
# (misuse_tracker/middleware.py); the admin's import upload may send IMPORT_MAX_UPLOAD_BYTES + 64 KB.
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# Login throttling (django-axes): a user name, or an address, is locked out after
# AXES_FAILURE_LIMIT failed logins for AXES_COOLOFF_HOURS. Logged to stdout.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The log names the account and address locked out, so an operator can tell an attack from a
# forgetful colleague (and unlock with `manage.py axes_reset_username NAME`).
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if env_int("PROXY_COUNT", 0) else ["REMOTE_ADDR"]
)

# Logs go to stdout, one line each, with the request's id (X-Request-ID) to join them up.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "misuse_tracker.middleware.RequestIdFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "line",
        },
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "misuse_tracker": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "axes": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}

# Public pages are cached whole, keyed by the dataset version (reports/page_cache.py): in memory
# per process (at most PAGE_CACHE_ENTRIES pages), or, with PAGE_CACHE_DIR, in files shared by
# every process on the machine. Nothing is ever stale: a write changes the version, and the key.
PAGE_CACHE_ENTRIES = env_int("PAGE_CACHE_ENTRIES", 500)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache"
        if os.environ.get("PAGE_CACHE_DIR")
        else "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": os.environ.get("PAGE_CACHE_DIR", "pages"),
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": PAGE_CACHE_ENTRIES},
    },
}

# The export log keeps what was downloaded, never who: pruned after this many days
# (python manage.py prune_export_log, run daily).
EXPORT_LOG_RETENTION_DAYS = env_int("EXPORT_LOG_RETENTION_DAYS", 400)
# At most this many large downloads (case lines as XLSX or ZIP) at once per process; more get a 503.
EXPORT_MAX_CONCURRENT = env_int("EXPORT_MAX_CONCURRENT", 2)
# An XLSX is built whole before it is sent: past this many case lines the CSV is offered instead.
EXPORT_XLSX_MAX_ROWS = env_int("EXPORT_XLSX_MAX_ROWS", 50_000)

# Spreadsheet imports (cases/imports.py). The upload cap is checked before a file is parsed; an
# .xlsx is a zip, so its unpacked size and compression ratio are checked before it is opened.
# Rows are read one at a time: the row, column and cell caps are checked as each row arrives.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
IMPORT_MAX_UNZIPPED_BYTES = env_int("IMPORT_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024)
IMPORT_MAX_ZIP_RATIO = env_int("IMPORT_MAX_ZIP_RATIO", 100)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 100)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 10_000)
IMPORT_UPLOAD_DIR = Path(os.environ.get("IMPORT_UPLOAD_DIR", BASE_DIR / "var" / "imports"))

# The publishing gate (cases/publishing.py): nobody approves their own import or edit. On, a
# superuser may (a one-person installation); off by default.
PUBLISHING_ALLOW_SELF_APPROVAL = env_bool("PUBLISHING_ALLOW_SELF_APPROVAL", False)
# "Revert to this version" would write past the gate.
SIMPLE_HISTORY_REVERT_DISABLED = True
