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
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

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


SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if AUTH_MODE == "strict":
        raise ImproperlyConfigured("SECRET_KEY must be set when PLAYGROUND_AUTH_MODE=strict")
    SECRET_KEY = _secret_from_var("secret_key", secrets.token_urlsafe(50))


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
    "services.sts",
    "services.sqs",
    "services.kms",
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
        "timeout": 30,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Each test run (make test) gets a database of its own, so runs on one machine never collide.
_TEST_RUN = env_str("PLAYGROUND_TEST_RUN_ID", "")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test{'-' + _TEST_RUN if _TEST_RUN else ''}.sqlite3")}
elif _TEST_RUN:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_TEST_RUN}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("PLAYGROUND_CHANNEL_PREFIX", "asgi")},
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
    }
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

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

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# The largest AWS request body the gateway accepts (an S3 PutObject is streamed separately).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PLAYGROUND_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000

# Worker threads serving AWS calls in each server process (each may hold a database connection).
GATEWAY_THREADS = env_int("PLAYGROUND_GATEWAY_THREADS", 32, minimum=1)

PLAYGROUND_DEFAULT_REGION = env_str("PLAYGROUND_DEFAULT_REGION", "us-east-1")
PLAYGROUND_PUBLIC_URL = env_str("PLAYGROUND_PUBLIC_URL", "http://localhost:8000")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
}

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
