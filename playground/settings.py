"""Django settings, read from the environment with working defaults for the embedded setup.

Environment variables (all optional locally):
  DATABASE_URL             default: SQLite in WAL mode at var/playground.sqlite3
  REDIS_URL                default: redis://127.0.0.1:6379/0 (Celery broker and channel layer)
  PLAYGROUND_AUTH_MODE     open (default) | strict (classroom: SigV4 verified)
  PLAYGROUND_TICK_SECONDS  how often Celery beat runs due work (default 1)
  SECRET_KEY               required in strict mode; generated once into var/ otherwise
  PLAYGROUND_MASTER_KEY    Fernet key encrypting stored secrets; generated once into var/ otherwise
  ALLOWED_HOSTS            comma-separated (default localhost,127.0.0.1,[::1],testserver)
  DEBUG                    default false
  PLAYGROUND_PUBLIC_URL    the address users reach; https://... switches the HTTPS settings on
  PLAYGROUND_HTTPS         served over HTTPS (default: whether PLAYGROUND_PUBLIC_URL is https://)
  PLAYGROUND_TRUST_X_FORWARDED_PROTO  a proxy in front sets X-Forwarded-Proto (default: PLAYGROUND_HTTPS)
  SECURE_HSTS_SECONDS      default one year over HTTPS, 0 otherwise
  PLAYGROUND_LOGIN_*       sign-in rate limits (see LOGIN_LIMITS below)
  PLAYGROUND_QUOTA_*       per-sandbox quotas (see QUOTAS below; on by default in strict mode)
  PLAYGROUND_LAB_DIRS      more folders of lab bundles (comma-separated)
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from playground.catalog import discover
from playground.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PLAYGROUND_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

AUTH_MODE = env_choice("PLAYGROUND_AUTH_MODE", "open", ("open", "strict"))
TICK_SECONDS = env_float("PLAYGROUND_TICK_SECONDS", 1.0, minimum=0.05)
DEBUG = env_bool("DEBUG", False)


def _secret_from_var(name: str, make: str) -> str:
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make)
        path.chmod(0o600)
    return path.read_text().strip()


def _strong(key: str) -> bool:
    """What Django's deployment check (security.W009) asks of a key that signs sessions."""
    return len(key) >= 50 and len(set(key)) >= 5 and not key.startswith("django-insecure-")


SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if AUTH_MODE == "strict":
        raise ImproperlyConfigured("SECRET_KEY must be set when PLAYGROUND_AUTH_MODE=strict")
    SECRET_KEY = _secret_from_var("secret_key", secrets.token_urlsafe(50))
if AUTH_MODE == "strict" and not _strong(SECRET_KEY):
    # A guessable key lets anyone forge a session cookie, that is sign in as any student.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for strict mode: use at least 50 random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


MASTER_KEY = env_str("PLAYGROUND_MASTER_KEY", "") or _secret_from_var("master.key", _fernet_key())

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
# AWS SDKs may address a service by its regional host name (sqs.us-east-1.localhost ...).
ALLOWED_HOSTS += [f".{host}" for host in ALLOWED_HOSTS if host and host[0].isalpha()]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "playground.sandboxes",
    "playground.gateway",
    "playground.live",
    "playground.web",
    "rest_framework.authtoken",
    "playground.classroom",
    "playground.labs",
    "playground.api",
    # Every service app under services/ (playground/catalog.py: the service contract).
    *discover(BASE_DIR),
]
# More apps to load (plugins; the test suite loads a helper app into its servers this way).
INSTALLED_APPS += env_list("PLAYGROUND_EXTRA_APPS", [])

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

_SQLITE_DEFAULT = f"sqlite:///{VAR_DIR / 'playground.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _SQLITE_DEFAULT))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
        # concurrent writers queue on busy_timeout instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # Seconds a writer waits for the lock before the call answers ServiceUnavailable (503).
        "timeout": env_int("PLAYGROUND_SQLITE_TIMEOUT", 30, minimum=1),
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Seconds between the passive WAL checkpoints each process runs from a thread of its own, so that no
# COMMIT pays for one (playground/checkpoints.py); 0 leaves SQLite's automatic checkpoint.
SQLITE_CHECKPOINT_SECONDS = env_float("PLAYGROUND_SQLITE_CHECKPOINT_SECONDS", 0.25, minimum=0)
# Connections are kept between requests (SQLite too: opening one runs its PRAGMAs, which cost more
# than a call's own queries).
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
# Each test run (make test) gets a database of its own, so runs on one machine never collide; each of
# its parallel workers has the worker's id in its run id (tests/parallel.py).
_TEST_RUN = env_str("PLAYGROUND_TEST_RUN_ID", "")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test{'-' + _TEST_RUN if _TEST_RUN else ''}.sqlite3")}
elif _TEST_RUN:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_TEST_RUN}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CHANNEL_LAYERS = {
    "default": {
        # Redis pub/sub: a group message is one PUBLISH, and each server process reads what its
        # sockets' groups receive as Redis pushes it, with no round trip per message. The list-based
        # layer (channels_redis.core) spends four sequential Redis round trips on the event loop per
        # message received, and under a busy process that loop could not keep up with a classroom's
        # events (docs/scaling.md, "Live events"). Pub/sub channels are shared by every database of a
        # Redis server: deployments sharing one keep apart by their PLAYGROUND_CHANNEL_PREFIX.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_URL],
            "prefix": env_str("PLAYGROUND_CHANNEL_PREFIX", "asgi"),
        },
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env_str("PLAYGROUND_CELERY_QUEUE", "playground")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "playground-tick": {
        "task": "playground.sandboxes.tasks.tick",
        "schedule": TICK_SECONDS,
        # A tick that waited longer than its period is stale: the next one does its work.
        "options": {"expires": max(TICK_SECONDS * 2, 1.0)},
    },
    # Timed class sessions whose end (wall time) has come: freeze or reset the students' sandboxes.
    # It may wait behind long ticks (a solo worker runs one task at a time): a late end is still
    # right (it is idempotent and cheap), a discarded one leaves the class running, so it expires
    # only after a minute, not after two ticks as the tick does.
    "classroom-session-ends": {
        "task": "playground.classroom.tasks.end_sessions",
        "schedule": TICK_SECONDS,
        "options": {"expires": 60.0},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Django's user-and-password backend behind the sign-in rate limits (playground/web/logins.py).
AUTHENTICATION_BACKENDS = ["playground.web.logins.RateLimitedModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# Stored bytes that do not belong in the database (S3 object bodies): files under BLOB_DIR, through
# Django's storage API (`storages["blobs"]`). AWS request bodies streamed to disk are spooled in
# SPOOL_DIR first, on the same file system, so a service can move a spooled body into place
# instead of copying it.
BLOB_DIR = Path(env_str("PLAYGROUND_BLOB_DIR", str(VAR_DIR / "blobs")))
SPOOL_DIR = BLOB_DIR / ".spool"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BLOB_DIR), "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
}

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"  # not the admin's "Logged out" page

# The largest AWS request body the gateway accepts (an S3 PutObject is streamed separately).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PLAYGROUND_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000

# Worker threads serving AWS calls in each server process (each may hold a database connection).
GATEWAY_THREADS = env_int("PLAYGROUND_GATEWAY_THREADS", 32, minimum=1)

PLAYGROUND_DEFAULT_REGION = env_str("PLAYGROUND_DEFAULT_REGION", "us-east-1")
PLAYGROUND_PUBLIC_URL = env_str("PLAYGROUND_PUBLIC_URL", "http://localhost:8000")

# Served over HTTPS (a classroom behind a TLS proxy): cookies only travel encrypted, plain HTTP is
# redirected, and browsers are told to use HTTPS only (HSTS). Off for a local http:// playground.
HTTPS = env_bool("PLAYGROUND_HTTPS", PLAYGROUND_PUBLIC_URL.startswith("https://"))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a proxy's health check may probe over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
# Only behind a proxy that sets (and overwrites) X-Forwarded-Proto: trusted from a client directly,
# the header would let it pass a plain HTTP request off as HTTPS.
if env_bool("PLAYGROUND_TRUST_X_FORWARDED_PROTO", HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The browser's Origin on a form post must be this server's; behind a proxy that rewrites Host, the
# public address is the one the browser shows.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [PLAYGROUND_PUBLIC_URL.rstrip("/")])

# Sign-in rate limits (playground/web/logins.py), counted on Redis across server processes: after
# this many failed sign-ins within the window, one user name, or one address, is refused until the
# window ends. A class often signs in from one address, hence the larger limit for an address.
LOGIN_LIMITS = {
    "per_username": env_int("PLAYGROUND_LOGIN_FAILURES_PER_USERNAME", 5, minimum=1),
    "per_address": env_int("PLAYGROUND_LOGIN_FAILURES_PER_ADDRESS", 50, minimum=1),
    "window_seconds": env_int("PLAYGROUND_LOGIN_WINDOW_SECONDS", 300, minimum=1),
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request gets 401 with `WWW-Authenticate: Token`.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "playground.api.errors.exception_handler",
    # Per user (per address before signing in). A classroom often reaches the server from one
    # address, so these allow a whole class at once while still stopping a guessing loop.
    "DEFAULT_THROTTLE_RATES": {
        "join": env_str("PLAYGROUND_JOIN_RATE", "300/min"),
        "token": env_str("PLAYGROUND_TOKEN_RATE", "300/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Playground REST API",
    "DESCRIPTION": "Sandboxes, credentials, clocks, the diagram's graph, events, classrooms and lab sessions. "
    "Authenticate with the session cookie (browser) or `Authorization: Token <key>` (POST /api/token/).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"SandboxRole": ["owner", "instructor"], "ClassroomRole": ["instructor", "student"]},
}
try:  # Swagger UI served from this server when drf-spectacular-sidecar is installed (offline classrooms)
    import drf_spectacular_sidecar  # noqa: F401

    INSTALLED_APPS.append("drf_spectacular_sidecar")
    SPECTACULAR_SETTINGS.update({"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR"})
except ImportError:
    pass


def _resource_quotas(raw: str) -> dict[str, int]:
    """Parse `sqs.Queue=100,kms.Key=50` (app_label.Model=N: at most N rows of that model per sandbox)."""
    quotas: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        label, _, number = item.partition("=")
        if label.count(".") != 1 or not number.strip().isdigit():
            raise ImproperlyConfigured(f"PLAYGROUND_QUOTA_RESOURCES: {item!r} is not app_label.Model=N")
        quotas[label.strip()] = int(number)
    return quotas


# Quotas per sandbox, so that one student cannot hurt the class (playground/gateway/quotas.py).
# 0 switches a quota off. Strict mode (the classroom) has them on by default; open mode (one person
# on their own machine) has them off unless set.
_CLASSROOM = AUTH_MODE == "strict"
_RESOURCE_QUOTAS = env_str("PLAYGROUND_QUOTA_RESOURCES", "")
QUOTAS: dict[str, Any] = {
    # AWS calls per second (token bucket on Redis, across all server processes) and the burst allowed.
    "requests_per_second": env_float("PLAYGROUND_QUOTA_REQUESTS_PER_SECOND", 50.0 if _CLASSROOM else 0.0, minimum=0),
    "request_burst": env_int("PLAYGROUND_QUOTA_REQUEST_BURST", 200, minimum=1),
    # Bytes of message bodies stored at once (SQS messages, and later SNS/Kinesis/S3 payloads).
    "stored_bytes": env_int("PLAYGROUND_QUOTA_STORED_BYTES", 50 * 1024 * 1024 if _CLASSROOM else 0, minimum=0),
    # Resources per service: rows of each model per sandbox. None: in a classroom, the limits each
    # service app declares (ServiceApp.quotas); none otherwise.
    "resources": _resource_quotas(env_str("PLAYGROUND_QUOTA_RESOURCES", ""))
    if env_str("PLAYGROUND_QUOTA_RESOURCES", "")
    else None,
}
# Long-term access keys a sandbox may have (IAM allows two per user, so that one can be rotated).
MAX_ACCESS_KEYS = env_int("PLAYGROUND_MAX_ACCESS_KEYS", 2, minimum=1)
# Sandboxes a non-staff user may create for themselves through the REST API.
MAX_SANDBOXES_PER_USER = env_int("PLAYGROUND_MAX_SANDBOXES_PER_USER", 5, minimum=0)
# Live events kept per sandbox for GET /api/sandboxes/<id>/events/ (older ones are pruned).
LIVE_EVENTS_KEPT = env_int("PLAYGROUND_LIVE_EVENTS_KEPT", 10_000, minimum=100)
# Folders of lab bundles (each sub-folder with a lab.json or lab.yaml), besides the shipped labs/.
LAB_DIRS = [BASE_DIR / "labs", *(Path(p) for p in env_list("PLAYGROUND_LAB_DIRS", []))]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}
