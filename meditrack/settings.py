"""MediTrack settings: everything that differs between machines comes from the environment.

Required: DATABASE_URL, REDIS_URL (`python -m meditrack.embedded -- ...` provides both, see the
Makefile) and DJANGO_SECRET_KEY unless DJANGO_DEBUG is on. See .env.example for the rest.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
_REQUIRED = object()


def env(name, default=_REQUIRED):
    value = os.environ.get(name, "")
    if value:
        return value
    if default is _REQUIRED:
        raise ImproperlyConfigured(
            f"{name} is not set. Run through `make run` / `make test` (they start the embedded "
            f"services), or set it yourself: see .env.example."
        )
    return default


def env_bool(name, default):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name, default):
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


def redis_db(url, db):
    """The same Redis server, another logical database: cache flushes never touch the broker."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-only-for-debug" if DEBUG else _REQUIRED)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Behind a TLS-terminating proxy in production; plain HTTP on a laptop.
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
# How many proxies in front of us append to X-Forwarded-For: the client address comes from their entries
# only (meditrack.accounts.middleware). None by default, so a client cannot name its own address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "meditrack.accounts",
    "meditrack.patients",
    "meditrack.reports",
    "meditrack.inference",
    "journal",
    "assistant",
    "speech",
]

MIDDLEWARE = [
    "meditrack.accounts.middleware.trusted_client_address",
    "meditrack.middleware.access_log",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "meditrack.middleware.DatabaseUnavailableMiddleware",
    "meditrack.accounts.middleware.access_audit",
    "meditrack.middleware.user_time_zone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Scripts, styles, images and media from this site only: no inline script or style attribute (bars take their
# width from data-width, set by static/js/widths.js). data: images are Swagger UI's icons; its page alone
# keeps its inline <style> (meditrack/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Hosts a registry entry's base_url may name (ALLOWED_HOSTS syntax): tokens go nowhere else.
AI_MODEL_HOSTS = env_list("AI_MODEL_HOSTS", ["localhost", "127.0.0.1", "::1", ".huggingface.co", ".huggingface.cloud"])

ROOT_URLCONF = "meditrack.urls"
WSGI_APPLICATION = "meditrack.wsgi.application"
ASGI_APPLICATION = "meditrack.asgi.application"

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

# Database: Django's psycopg pool bounds the connections of each process; CONN_MAX_AGE must
# stay 0 with a pool (and under ASGI, where persistent connections would leak per thread).
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 10)
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=0)}
# Options in the URL's query (sslmode, application_name) are kept beside the pool's.
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": 1, "max_size": DB_POOL_MAX_SIZE, "timeout": env_int("DB_POOL_TIMEOUT_S", 10),
}
# With health checks on, the pool checks a connection before handing it out: one the server dropped
# (a restarted Postgres) is replaced, and the request that would have got it does not fail.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: one server, a logical database per role.
REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "meditrack.redis_clients.SharedPoolRedisCache",
        "LOCATION": redis_db(REDIS_URL, 1),
    }
}
# Per-user model-call limits (meditrack.inference), beside DRF's throttle counters.
RATE_LIMIT_STORAGE_URL = redis_db(REDIS_URL, 1)
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # channels-redis blocks 5 s in BRPOP, exactly redis-py 8's default socket timeout: give it room.
        "CONFIG": {"hosts": [{"address": redis_db(REDIS_URL, 2), "socket_timeout": 30}]},
    }
}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only images built for production collect static files (the Dockerfile sets this).
STATIC_ROOT = env("DJANGO_STATIC_ROOT", None)
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves straight from the finders, so no collectstatic step is needed to run.
WHITENOISE_USE_FINDERS = True
# Reread static files that change under a running dev server (it otherwise serves them cut to their old size).
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads beyond this are answered 413 by the API (meditrack.errors).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

# Media (speech clips): the filesystem under var/ by default; an S3-compatible bucket through django-storages
# when MEDIA_S3_BUCKET is set (boto3 reads the credentials from the usual AWS_* variables). Clips are served
# by their owner's API only, so the bucket stays private.
MEDIA_ROOT = env("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
MEDIA_S3_BUCKET = env("MEDIA_S3_BUCKET", None)
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": MEDIA_S3_BUCKET, "endpoint_url": env("MEDIA_S3_ENDPOINT_URL", None),
                    "region_name": env("MEDIA_S3_REGION", None), "default_acl": "private", "file_overwrite": False},
    } if MEDIA_S3_BUCKET else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Speech: what a recording or a synthesis request may be (413 beyond the size or duration, 400 beyond the text).
SPEECH_MAX_UPLOAD_BYTES = env_int("SPEECH_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
SPEECH_MAX_DURATION_S = env_int("SPEECH_MAX_DURATION_S", 300)
SPEECH_MAX_SYNTHESIS_CHARS = env_int("SPEECH_MAX_SYNTHESIS_CHARS", 1000)
# A practice turn's coach: a model still writing after this many seconds is stopped and the rule-based coach
# answers, so a patient waits seconds, not minutes, for a slow or busy model.
PRACTICE_COACH_WAIT_S = env_int("PRACTICE_COACH_WAIT_S", 15)
# How long a reply's task keeps trying to announce the reply's end while Redis does not answer (a restart).
CHAT_END_ANNOUNCE_RETRY_S = 30

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "meditrack.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "meditrack.json_input.SafeJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", "60/minute"),
        "user": env("THROTTLE_USER", "600/minute"),
        "auth": env("THROTTLE_AUTH", "10/minute"),
        # Each recording (up to 10 MB) is kept and costs a worker its decoding and a model: a cap per user on
        # spoken entries, and a looser one on speech work (transcription, synthesis, pronunciation, practice turns).
        "voice": env("THROTTLE_VOICE", "20/hour"),
        "speech": env("THROTTLE_SPEECH", "240/hour"),
    },
    # REMOTE_ADDR is already the trusted client address: DRF must not read X-Forwarded-For again.
    "NUM_PROXIES": 0,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "meditrack.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 7)),
}
# Tokens one user may hold at once; signing in past it revokes the oldest.
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 10)
# Lockout (django-axes): LOGIN_FAILURE_LIMIT wrong passwords from one address, or for one account,
# lock it out of the API, the login page and the admin for LOGIN_LOCKOUT_MINUTES.
AUTHENTICATION_BACKENDS = [
    "meditrack.accounts.authentication.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
# Every way in names the account `username`, the login form as authenticate()'s callers.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "meditrack.accounts.authentication.lockout_username"
AXES_LOCKOUT_CALLABLE = "meditrack.accounts.authentication.lockout_response"
# Password reset links. Without an SMTP host they go to the web process's output (a laptop).
EMAIL_HOST = env("EMAIL_HOST", "")
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "MediTrack <meditrack@localhost>")
SPECTACULAR_SETTINGS = {
    "TITLE": "MediTrack API",
    "DESCRIPTION": "Health journal, clinician reports and an AI assistant. Errors: {error: {code, detail, fields?}}.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Several models have a "status" or "source" with their own choices: each gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "MessageStatusEnum": "assistant.models.Message.Status",
        "AnalysisStatusEnum": "journal.models.EntryAnalysis.Status",
        "EntrySourceEnum": "journal.models.JournalEntry.Source",
        "IntakeStatusEnum": "meditrack.patients.models.MedicationIntake.Status",
        "VitalSourceEnum": "meditrack.patients.models.Vital.Source",
        "ReportStatusEnum": "meditrack.reports.models.AnalysisReport.Status",
        "VitalKindEnum": "meditrack.patients.models.Vital.Kind",
        "CareAlertKindEnum": "meditrack.patients.models.CareAlert.Kind",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "meditrack.openapi.error_responses"],
    # Served from our own static files: the docs work offline and without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Celery: three queues, so GPU workers take only model work and I/O never waits behind it.
CELERY_BROKER_URL = REDIS_URL
# A worker whose broker restarts mid-task reconnects instead of exiting (see meditrack.broker). rediss:// keeps
# kombu's own transport, which turns TLS on from the scheme.
CELERY_BROKER_TRANSPORT = "meditrack.broker:Transport" if urlsplit(REDIS_URL).scheme == "redis" else None
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = timedelta(hours=1)
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_ROUTES = {"meditrack.ping": {"queue": "io"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT_S", 600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than any task may run, or Redis hands an unacknowledged task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-replies": {"task": "assistant.sweep_stuck_replies", "schedule": 60.0},
    "sweep-stuck-reports": {"task": "reports.sweep_stuck_reports", "schedule": 300.0},
    "requeue-stalled-analyses": {"task": "journal.requeue_stalled_analyses", "schedule": 300.0},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "meditrack.log_filters.RedactRequest"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
        # One line per HTTP request to a model server is noise next to our own call log.
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
    },
}
