"""Casework settings: one module, everything from environment variables.

Every variable is listed in docker/.env.example. Bad values stop the process at start with
ImproperlyConfigured naming the variable (casework.config).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from casework.config import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "casework-insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not DEBUG and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PORT = env_int("PORT", 8000, minimum=1, maximum=65535)

DATABASE_URL = env_url(
    "DATABASE_URL", None, {"postgres", "postgresql", "pgsql", "postgis"}
)
REDIS_URL = env_url("REDIS_URL", None, {"redis", "rediss"})
GRAPH_URL = env_url("GRAPH_URL", None, {"falkordb", "bolt", "neo4j", "bolt+s", "neo4j+s"})
# the graph is a key of its own in FalkorDB's Redis; it must not share a name with the
# Celery queue when one Redis serves both (the embedded default)
GRAPH_NAME = env_str("GRAPH_NAME", "casework-graph")
GRAPH_TIMEOUT_S = env_int("GRAPH_TIMEOUT_S", 10, minimum=1)
# time budget of one analysis request on the graph: past it the answer is cut short and
# flagged `truncated`, never left hanging
GRAPH_QUERY_BUDGET_MS = env_int("GRAPH_QUERY_BUDGET_MS", 2000, minimum=50)
# series: an entity shared with more other cases than this (a parcel locker's phone)
# links nothing
SERIES_HUB_CAP = env_int("SERIES_HUB_CAP", 50, minimum=2)
# Four-colour status targets (casework.stats.colours): acknowledgement, capture (sent →
# completed with capture; Zhangzhou's reported average is 1 h 36 min) and first arrest
# after the alarm; a time up to bands[0] × target is green, then yellow, orange, red.
STATS_TARGETS = {
    "ack_s": env_int("STATS_ACK_TARGET_S", 60, minimum=1),
    "capture_s": env_int("STATS_CAPTURE_TARGET_S", 96 * 60, minimum=1),
    "arrest_s": env_int("STATS_ARREST_TARGET_S", 24 * 3600, minimum=1),
    "bands": tuple(float(b) for b in env_list("STATS_STATUS_BANDS", ["1", "1.5", "2"])),
}
if (len(STATS_TARGETS["bands"]) != 3 or list(STATS_TARGETS["bands"]) != sorted(
        STATS_TARGETS["bands"]) or STATS_TARGETS["bands"][0] <= 0):
    raise ImproperlyConfigured("STATS_STATUS_BANDS: three increasing positive numbers, "
                               "e.g. 1,1.5,2")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "axes",
    "treebeard",
    "channels",
    "django_celery_beat",
    "casework.core",
    "casework.accounts",
    "casework.rooms",
    "casework.evidence",
    "casework.entities",
    "casework.dispatch",
    "casework.stats",
    "casework.demo",
    "linkanalysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "casework.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "casework.core.middleware.RequestContextMiddleware",
    "casework.core.middleware.RejectNulMiddleware",
    # axes last: it turns a locked-out log-in into a 429 response
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casework.urls"
ASGI_APPLICATION = "casework.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_casework")}
# A pool of connections per process (psycopg_pool), which the ASGI server turns on
# (casework/asgi.py): under ASGI Django must keep no persistent connections, and opening one
# for every request took ~9 % of the server's CPU in the API fuzz run (py-spy). Off (0) in
# Celery's prefork workers, management commands and the test process.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 0, minimum=0, maximum=100)
if DB_POOL_MAX_SIZE:
    if DATABASES["default"]["CONN_MAX_AGE"]:
        raise ImproperlyConfigured(
            "DB_POOL_MAX_SIZE and DB_CONN_MAX_AGE exclude each other: a pooled connection "
            "goes back to the pool after each request")
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": DB_POOL_MAX_SIZE, "timeout": 10}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# guardian: no anonymous user row; object permissions are read through casework.rooms.access
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# Failed log-ins only: a success resets the counter (axes' default), so a busy terminal that
# logs in correctly is never throttled.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "default"
AXES_LOCKOUT_CALLABLE = "casework.accounts.lockout.lockout_response"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "casework" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / ".static")))
STATICFILES_DIRS = [
    BASE_DIR / "casework" / "static",
    # the chart library, installed by npm (package.json) and never vendored into git
    ("vendor/cytoscape", BASE_DIR / "node_modules" / "cytoscape" / "dist"),
    # the map library (Leaflet), likewise from npm
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    # the dashboard's charts (Apache ECharts), likewise from npm
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
# The room map draws an offline GeoJSON of the districts; a tile layer is added on top only
# when this names one, e.g. an intranet server "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".media")))
WHITENOISE_USE_FINDERS = True

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_PREFIX", "casework"),
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 10},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "casework.core.channel_layer.RedisChannelLayer",
        "CONFIG": {
            # redis-py's pools refuse (not wait) past max_connections, default 100: a
            # thousand terminals connecting at once need more (bench/push_latency.py)
            "hosts": [{"address": REDIS_URL,
                       "max_connections": env_int("CHANNELS_MAX_CONNECTIONS", 2000,
                                                  minimum=10)}],
            "prefix": env_str("CHANNELS_PREFIX", "casework"),
            "capacity": 1000,
            # one key holds what waits for all the consumers of a server process: a
            # thousand terminals' instructions at once must not overflow it (messages over
            # capacity are dropped; bench/push_latency.py, tests/test_channel_layer.py)
            "channel_capacity": {"specific.*": 100_000},
            "expiry": 60,
        },
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "casework-tasks")
if CELERY_TASK_DEFAULT_QUEUE == GRAPH_NAME:
    raise ImproperlyConfigured("CELERY_QUEUE and GRAPH_NAME must differ (one Redis key each)")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# the graph sees a committed link within about a second (GRAPH_SYNC_INTERVAL_S)
CELERY_BEAT_SCHEDULE = {
    "drain-graph-outbox": {
        "task": "linkanalysis.tasks.drain_outbox",
        "schedule": float(env_int("GRAPH_SYNC_INTERVAL_MS", 1000, minimum=100)) / 1000,
        "options": {"expires": 5},
    },
    # acknowledgement escalation: a sweep every second (escalations at most ~1 s late)
    "escalate-unacknowledged": {
        "task": "casework.dispatch.tasks.escalate_due",
        "schedule": float(env_int("ESCALATION_SWEEP_MS", 1000, minimum=100)) / 1000,
        "options": {"expires": 5},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "casework.core.api.exception_handler",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 12, minimum=1)),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
    "AUTO_REFRESH": False,
}
# Evidence files: limits, accepted types (detected from content), the custody HMAC key.
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_MB", 200, minimum=1) * 2**20
EVIDENCE_ALLOWED_TYPES = env_list("EVIDENCE_ALLOWED_TYPES", [
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/bmp",
    "video/mp4", "video/quicktime", "video/x-msvideo", "video/x-matroska", "video/webm",
    "application/pdf", "audio/mpeg", "audio/x-wav", "audio/mp4", "audio/m4a", "text/plain",
    "application/zip",
])
# Kept outside the database on purpose: whoever can rewrite custody rows must not also be
# able to recompute their MACs. Derived from SECRET_KEY unless set.
CUSTODY_HMAC_KEY = env_str("CUSTODY_HMAC_KEY", "") or hashlib.sha256(
    ("custody-chain:" + SECRET_KEY).encode()).hexdigest()
IMPORT_SYNC_MAX_BYTES = env_int("IMPORT_SYNC_MAX_KB", 1024, minimum=1) * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 2**20  # larger uploads stream to a temporary file
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20
STORAGES = {
    "default": {"BACKEND": env_str("FILE_STORAGE_BACKEND",
                                   "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WS_TICKET_TTL_SECONDS = env_int("WS_TICKET_TTL_SECONDS", 60, minimum=5, maximum=600)

SPECTACULAR_SETTINGS = {
    "TITLE": "Casework API",
    "DESCRIPTION": "Case rooms, evidence, link analysis and capture instructions.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "casework.core.openapi.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "casework.rooms.choices.CaseStatus",
        "UnitStatusEnum": "casework.accounts.choices.UnitStatus",
        # several fields are called "kind" or "role": name each choice set for what it is
        "EvidenceKindEnum": "casework.evidence.choices.EvidenceKind",
        "EntityKindEnum": "casework.entities.choices.EntityKind",
        "LinkKindEnum": "casework.entities.choices.LinkKind",
        "ImportKindEnum": "casework.entities.choices.ImportKind",
        "RoomRoleEnum": "casework.rooms.choices.RoomRole",
    },
}

# /healthz: each entry is a callable returning (ok, detail). Dotted paths so that the
# composition root wires casework and linkanalysis without either importing the other.
HEALTH_CHECKS = {
    "database": "casework.core.health.check_database",
    "redis": "casework.core.health.check_redis",
    "graph": "linkanalysis.health.check_graph",
    "outbox_lag": "casework.core.health.outbox_lag",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "uvicorn.access": {"level": "WARNING"}},
}

# guardian's auth backend is deliberately not installed: object permissions are read at one
# choke point (casework.rooms.access), which also applies the leadership-by-unit rule.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", False)
