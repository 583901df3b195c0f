"""Settings, all read from the environment (django-environ); see README.md for every variable.

With no variable set the project runs on SQLite files in ``data/`` (git-ignored): ``default`` holds users,
credentials and grants; each VBA database (``VBA_DATABASES``) is its own Django database alias.
"""

import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"
DATA_DIR.mkdir(exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """``SECRET_KEY`` signs the VBA tokens and sessions: required with DEBUG off. In development (DEBUG on) a random
    key is made once per checkout, in ``data/dev-secret-key`` (never a key published with the code)."""
    key = env("SECRET_KEY", default="")
    if key:
        return str(key)
    if not DEBUG:
        raise environ.ImproperlyConfigured(
            "SECRET_KEY is not set. Set it (50+ random characters) in production, or DEBUG=1 for development."
        )
    path = DATA_DIR / "dev-secret-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True


# PostgreSQL connections in the server (gunicorn): each sync worker serves one request at a time, so it keeps one
# connection per database open across requests for DB_CONN_MAX_AGE seconds (default 300 in gunicorn, 0 elsewhere:
# management commands and tests connect per use), checked with an empty query before a request reuses it
# (CONN_HEALTH_CHECKS: one a database restart broke is replaced, not handed to the request). At most workers x
# databases connections. An unreachable database fails at once (refused) or within DB_CONNECT_TIMEOUT seconds (a
# host that drops packets), answered 503 (config.records.dbfaults). README "Performance" says why not a pool.
DB_CONN_MAX_AGE = env.int("DB_CONN_MAX_AGE", default=300 if "gunicorn" in sys.modules else 0)
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=5)


def _database(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # BEGIN IMMEDIATE: a batch takes the write lock before it reads existing keys, so two writers serialize
        # instead of both deciding "created" for the same key.
        config.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 30})
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", DB_CONNECT_TIMEOUT)  # the URL's own wins
        config["CONN_MAX_AGE"] = DB_CONN_MAX_AGE
        config["CONN_HEALTH_CHECKS"] = True
    return config


def _vba_databases(value: str) -> dict[str, dict]:
    databases: dict[str, dict] = {}
    for pair in filter(None, (p.strip() for p in value.split(","))):
        name, sep, url = pair.partition("=")
        name = name.strip()
        if not sep or not name or not url.strip():
            raise environ.ImproperlyConfigured(f"VBA_DATABASES entry {pair!r} is not name=url")
        if name == "default":
            raise environ.ImproperlyConfigured("VBA_DATABASES may not use the name 'default'")
        databases[name] = _database(url.strip())
    if not databases:
        raise environ.ImproperlyConfigured("VBA_DATABASES names no database")
    return databases


DATABASES = {"default": _database(env("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'default.sqlite3'}"))}
VBA_DATABASES = _vba_databases(env("VBA_DATABASES", default=f"demo=sqlite:///{DATA_DIR / 'demo.sqlite3'}"))
DATABASES.update(VBA_DATABASES)
DATABASE_ROUTERS = ["config.serving.tenancy.VBADatabaseRouter"]
# Models that live in the VBA databases (and their simple-history tables); everything else lives in default.
VBA_TENANT_MODELS = {
    "authorizations.auth",
    "authorizations.authcode",
    "authorizations.authdiagcodes",
    "authorizations.authproccodes",
    "authorizations.authreview",
    "carecases.careplan",
    "carecases.carecase",
    "carecases.carecaseworklog",
    "api.keysequence",
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "oauth2_provider",
    "config.api",  # label "api": its tables (API clients, grants, key sequences, exports)
    "config.serving",  # no models: serve, migrate_all, create_api_client
    "config.vba",  # no models: registers the VBA envelope for refusals
    "config.spry",  # no models: registers the Spry envelope for refusals
    "config.admin",  # label "records_admin", no models: admin sites, template tags, static files
    "authorizations",
    "carecases",
    "config.bench",  # no models: benchmark commands and seed_demo
]

MIDDLEWARE = [
    "config.serving.middleware.ActivityIdMiddleware",
    "config.serving.limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.serving.tenancy.VBADatabaseMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.serving.tenancy.admin_database_context",
            ]
        },
    }
]
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=DATA_DIR / "static")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
# Static files (admin, Swagger UI) are served by WhiteNoise from STATIC_ROOT (``manage.py collectstatic``).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- HTTPS (production: HTTPS=1, see README "Production") ---------------------------------------------------------
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://vbapi")}
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    # A Redis that hangs must not hang requests: short socket timeouts (seconds), unless CACHE_URL's query sets them
    # (?socket_connect_timeout=…&socket_timeout=…). Past them the rate limits fall back to per-process buckets.
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    _redis_options.setdefault("SOCKET_CONNECT_TIMEOUT", env.float("REDIS_CONNECT_TIMEOUT", default=0.5))
    _redis_options.setdefault("SOCKET_TIMEOUT", env.float("REDIS_SOCKET_TIMEOUT", default=0.5))
    # While Redis is away every cache call is refused at once for a second before Redis is tried again.
    _redis_options.setdefault("CLIENT_CLASS", "config.serving.ratelimit.BreakerRedisClient")

# Retry-After (seconds) of a 503 answered while a database is unavailable (config.records.dbfaults).
RETRY_AFTER_SECONDS = env.int("RETRY_AFTER_SECONDS", default=5)

# --- VBA API ---------------------------------------------------------------------------------------------------
VBA_BATCH_MAX_ITEMS = env.int("VBA_BATCH_MAX_ITEMS", default=1000)
VBA_MAX_BODY_BYTES = env.int("VBA_MAX_BODY_BYTES", default=10 * 1024 * 1024)
VBA_RATE_LIMIT_PER_SECOND = env.float("VBA_RATE_LIMIT_PER_SECOND", default=25.0)
VBA_RATE_LIMIT_BURST = env.int("VBA_RATE_LIMIT_BURST", default=50)
# Seconds a worker keeps what an API key, a user and their grants were found to be (config.vba.authentication):
# a revoked key or grant, or a deactivated user, stops working within this time in every worker (at once in the
# worker that made the change). 0: looked up on every request.
VBA_CREDENTIAL_CACHE_SECONDS = env.float("VBA_CREDENTIAL_CACHE_SECONDS", default=10.0)
# Seconds a list's exact x-pagination TotalCount is reused for its next pages (config.records.counting); a write through
# the API or the ORM (admin) to that database counts again at once. 0: counted on every page.
VBA_COUNT_CACHE_SECONDS = env.float("VBA_COUNT_CACHE_SECONDS", default=10.0)
# The decision clock (vba-review.md decision 18, authorizations.vba.clock): an Auth is due PA_EXPEDITED_HOURS after its
# received_Date when urgent (expedited), PA_STANDARD_DAYS calendar days after it otherwise (standard).


def _window(name: str, default: int, most: int) -> int:
    """A decision-clock window: a whole number from 1 to ``most`` (a window of 0 or less would make every Auth due
    on receipt, or before it)."""
    try:
        value = env.int(name, default=default)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= most:
        raise environ.ImproperlyConfigured(f"{name} must be a whole number from 1 to {most}, not {env.str(name)!r}")
    return value


PA_EXPEDITED_HOURS = _window("PA_EXPEDITED_HOURS", 72, 24 * 366)
PA_STANDARD_DAYS = _window("PA_STANDARD_DAYS", 7, 366)
# Body limits, checked from Content-Length before anything reads the body (config.serving.limits; 413 in the envelope):
# VBA_MAX_BODY_BYTES under /vbasoftware/, SPRY_MAX_BODY_BYTES under /apis/, AUTH_MAX_BODY_BYTES on the login and
# token endpoints, OTHER_MAX_BODY_BYTES elsewhere (the admin). Django never reads past Content-Length (a body without
# one, e.g. chunked, is read as empty), so these bound every body; Django's own size check would only repeat the
# limit of one path for all, hence None. Form field counts stay bounded by Django (DATA_UPLOAD_MAX_NUMBER_FIELDS).
AUTH_MAX_BODY_BYTES = env.int("AUTH_MAX_BODY_BYTES", default=16 * 1024)
OTHER_MAX_BODY_BYTES = env.int("OTHER_MAX_BODY_BYTES", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = None
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
MAX_PATH_LENGTH = env.int("MAX_PATH_LENGTH", default=2048)
# Login, refresh and token requests per credential and per source address (DRF's rate syntax).
LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", default="20/minute")

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_SCHEMA_CLASS": "config.vba.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # Source address of a client: REMOTE_ADDR, or the X-Forwarded-For entry added by the NUM_PROXIES trusted proxies.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

API_KEY_CUSTOM_HEADER = "HTTP_X_API_KEY"

SIMPLE_JWT: dict[str, Any] = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("VBA_ID_TOKEN_LIFETIME", default=24 * 3600)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("VBA_REFRESH_TOKEN_DAYS", default=30)),
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "VBAPI- and Spry-compatible records API",
    "DESCRIPTION": "VBA Auth / CarePlan / CareCase (under /vbasoftware/) and Spry Authorization "
    "(under /apis/soap-enrichment/v1/authorization).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "OAS_VERSION": "3.0.3",  # VBA's document is OpenAPI 3.0; the VBA operations are shaped by this hook:
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.vba.openapi.vba_operations",
        "authorizations.spry.api.views.spry_document",  # Spry: 4000/4004 answer HTTP 200; optional fields nullable
    ],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        }
    },
}

# --- Spry API (OAuth 2.0 client credentials) --------------------------------------------------------------------
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "SCOPES": {"read": "Read authorizations", "write": "Create, update and delete authorizations"},
    "DEFAULT_SCOPES": ["read", "write"],
    # Only the SHA-256 checksum of an access token is stored, never the reusable token itself (RFC 9700).
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Only the client-credentials grant is used; every other RFC 9700 recommendation is adopted too.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
}
# Named explicitly so that migrations referencing the (swappable) OAuth application model can be generated.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
SPRY_MAX_BODY_BYTES = env.int("SPRY_MAX_BODY_BYTES", default=1024 * 1024)
# Per OAuth client, in DRF's rate syntax (N/second, N/minute, N/hour); above it → code 4029 (HTTP 429).
SPRY_RATE_LIMIT = env("SPRY_RATE_LIMIT", default="50/second")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No query string in any log line: query values may be patients' names or ids (config.serving.middleware).
    "filters": {"no_query_string": {"()": "config.serving.middleware.NoQueryStringFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_query_string"]}},
    "loggers": {
        "vbapi.request": {"handlers": ["console"], "level": env("REQUEST_LOG_LEVEL", default="INFO")},
        # Redis or a database away and back (config.serving.ratelimit, config.records.dbfaults), whatever
        # REQUEST_LOG_LEVEL.
        "vbapi.dependencies": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
