"""Settings for COS Registry, read from the environment (see README, "Settings")."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from cos_registry.env import (
    env_bool,
    env_database,
    env_database_replicas,
    env_int,
    env_int_list,
    env_list,
    env_redis_url,
    env_secret_key,
    env_site_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("COS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_secret_key("SECRET_KEY", debug=DEBUG, key_file=VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The public address of this registry: canonical URLs in exports and invitation links are built on it. Unset, it is
# the address `make run` serves on (scripts/serve.sh exports HOST and PORT to the web process and the worker).
SITE_URL = env_site_url("SITE_URL", host=env_str("HOST", "127.0.0.1"), port=env_int("PORT", 8000, minimum=1))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "diseases",
    "outcomes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL in the path or query is a 400 before it reaches PostgreSQL (a 500 otherwise).
    "outcomes.middleware.RejectNulCharactersMiddleware",
    # A strong ETag (the content's hash) on every cacheable GET, and 304 for a matching If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    # Cache-Control and Vary: public reads are public, everything else private, no-store (outcomes/public_reads.py).
    "outcomes.middleware.CacheHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A lost database answers 503 with a plain message (HTML, or JSON under /api/), never a traceback.
    "outcomes.middleware.DatabaseUnavailableMiddleware",
    # A change refused by the immutability triggers answers 409 with the refusal (docs/versions.md).
    "outcomes.middleware.ImmutableVersionMiddleware",
    # Public reads on a healthy read replica (DATABASE_REPLICA_URLS); last, because it runs the view.
    "outcomes.middleware.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "cos_registry.urls"
WSGI_APPLICATION = "cos_registry.wsgi.application"
ASGI_APPLICATION = "cos_registry.asgi.application"

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

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cos_registry.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60 if not DEBUG else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT pays off for long analytical queries only; on the registry's list and search queries it
    # added 50-90 ms of compilation each (docs/performance.md). Synchronized sequential scans start where another
    # scan of the table is, so when very many sets match a word the search engine's bounded candidates (the first
    # ones found, outcomes/search/engine.py) could differ between two identical requests: off.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off -c synchronize_seqscans=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas (docs/deploy.md, "Read replicas"): streaming replicas of the primary, as comma-separated URLs. Public
# reads (pages, the registry API, exports) by anonymous clients go to a healthy one; everything else, and Celery
# tasks, use the primary (cos_registry/db_router.py). None by default: one database, nothing routed.
# A replica is used only while its lag, measured every DATABASE_REPLICA_CHECK_SECONDS, keeps every read within
# DATABASE_REPLICA_MAX_LAG_SECONDS of the primary; a client that wrote reads from the primary for that long.
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 10, minimum=1)
DATABASE_REPLICA_CHECK_SECONDS = env_int("DATABASE_REPLICA_CHECK_SECONDS", 2, minimum=0)
if DATABASE_REPLICA_CHECK_SECONDS >= DATABASE_REPLICA_MAX_LAG_SECONDS:
    raise ImproperlyConfigured("DATABASE_REPLICA_CHECK_SECONDS must be below DATABASE_REPLICA_MAX_LAG_SECONDS")
for _number, _replica in enumerate(env_database_replicas("DATABASE_REPLICA_URLS", primary=DATABASES["default"]), 1):
    _replica.setdefault("OPTIONS", {}).update(DATABASES["default"].get("OPTIONS", {}))
    # A replica that does not answer is skipped after this long instead of holding the request.
    _replica["OPTIONS"].setdefault("connect_timeout", 2)
    # The test runner creates no database for a replica: it replicates the primary's (tests/replicas).
    DATABASES[f"replica_{_number}"] = {
        **_replica,
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["cos_registry.db_router.ReplicaRouter"]

# Shared caches (docs/deploy.md, "HTTP caching"): the callable run with the URLs a publication or withdrawal changed,
# e.g. outcomes.services.cache_purge.nginx_refresh (with HTTP_CACHE_PURGE_URL, the cache's address, and
# HTTP_CACHE_PURGE_TOKEN, the refresh token in deploy/nginx.conf) or ...varnish_purge. None by default.
HTTP_CACHE_PURGE_HOOK = env_str("HTTP_CACHE_PURGE_HOOK", "")
HTTP_CACHE_PURGE_URL = env_str("HTTP_CACHE_PURGE_URL", "")
HTTP_CACHE_PURGE_TOKEN = env_str("HTTP_CACHE_PURGE_TOKEN", "")
if HTTP_CACHE_PURGE_HOOK and not HTTP_CACHE_PURGE_URL:
    raise ImproperlyConfigured("HTTP_CACHE_PURGE_HOOK needs HTTP_CACHE_PURGE_URL, the address of the cache to purge")

# Redis: when REDIS_URL is unset Celery runs tasks eagerly in-process and the cache is local memory.
REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    redis_cache = {
        # Degrades to cache misses (and logs) when Redis is away: pages and the API keep serving.
        "BACKEND": "cos_registry.cache.FaultTolerantRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cos"),
        "TIMEOUT": 3600,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    # Sessions are read through Redis by every app server (cos_registry/sessions/cached_db.py). A cached session
    # lives 5 minutes, not as long as the session: a sign-out made while Redis was unreachable leaves the entry
    # behind (kept through a restart when Redis persists), and it must not sign the session back in for weeks.
    CACHES = {"default": redis_cache, "sessions": {**redis_cache, "MAX_TIMEOUT": 300}}
    SESSION_ENGINE = "cos_registry.sessions.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cos"}}
    # Sessions are rows in the database: a local-memory cache is per process, where a cached session would go
    # stale across gunicorn workers.
    SESSION_ENGINE = "cos_registry.sessions"

# How long a search's answer is kept for the same query (outcomes/search/generation.py): every publication,
# withdrawal or curator's edit starts a new search generation, so this only bounds the cache's memory. 0: not kept.
SEARCH_RESULTS_CACHE_SECONDS = env_int("SEARCH_RESULTS_CACHE_SECONDS", 300)

CELERY_BROKER_URL = REDIS_URL or "memory://"
# No result backend: nothing reads a task's return value (tasks record their work in the database). With one,
# every publish also subscribed to Redis for the result, and failed (after ~19 s of retries) when Redis was down.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Fail fast when the broker is away: the task stays in the outbox (outcomes/services/outbox.py) and the relay
# sends it once Redis is back, instead of a request hanging on a publish.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A task whose worker vanished without acknowledging it (acks_late) is redelivered after this long.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5

# Argon2 first (Django's recommendation; PBKDF2 at its default cost took seconds per sign-in on two cores). The others
# stay so that older hashes still verify; Django rehashes them with Argon2 at the user's next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Attempts per client IP (outcomes/ratelimit.py): "N/s", "N/m" or "N/h".
LOGIN_RATE_LIMIT = env_str("LOGIN_RATE_LIMIT", "10/m")
PANEL_LINK_RATE_LIMIT = env_str("PANEL_LINK_RATE_LIMIT", "20/m")
# Failed `Authorization: Panelist <token>` attempts on the API per client IP (successful ones are not counted).
PANEL_API_AUTH_RATE_LIMIT = env_str("PANEL_API_AUTH_RATE_LIMIT", "20/m")
# Trial checks (page and API) per client IP: each stores a result, and anyone may check.
TRIAL_CHECK_RATE_LIMIT = env_str("TRIAL_CHECK_RATE_LIMIT", "30/m")
# Subscription requests (the form and the API) per client IP; each address also gets at most
# SUBSCRIBE_ADDRESS_RATE_LIMIT confirmation emails, whoever asks (docs/notifications.md).
SUBSCRIBE_RATE_LIMIT = env_str("SUBSCRIBE_RATE_LIMIT", "10/h")
SUBSCRIBE_ADDRESS_RATE_LIMIT = env_str("SUBSCRIBE_ADDRESS_RATE_LIMIT", "3/h")
# The request header holding the client IP when behind a proxy (e.g. HTTP_X_REAL_IP); unset: REMOTE_ADDR.
RATELIMIT_IP_HEADER = env_str("RATELIMIT_IP_HEADER", "")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
# The languages panels can run in (docs/consensus.md, "Adding a language"). The panel pages and emails are
# translated in locale/<code>/LC_MESSAGES/django.po; the public and facilitator pages are English for now.
# No LocaleMiddleware: a panel page speaks the panelist's stored language, the API negotiates per request.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
]
# The language of the wording a process agrees and a version publishes; translations are of this text.
REFERENCE_LANGUAGE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# Email: the console in development; EMAIL_URL (smtp://user:password@host:587, or smtp+tls://...) in production.
_email_url = env_str("EMAIL_URL")
if _email_url:
    import environ as _environ

    vars().update(_environ.Env.email_url_config(_email_url))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "COS Registry <registry@localhost>")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "outcomes.api.authentication.StrictTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # Per client IP, one fixed window, counted atomically in the shared cache (outcomes/ratelimit.py).
    "DEFAULT_THROTTLE_CLASSES": ["outcomes.ratelimit.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("API_ANON_THROTTLE", "600/minute")},
    # One JSON error shape for every endpoint (outcomes/api/errors.py), orjson rendering, capped pagination.
    "EXCEPTION_HANDLER": "outcomes.api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "outcomes.api.common.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Bodies within DATA_UPLOAD_MAX_MEMORY_SIZE (413) and JSON the decoder can follow (400), never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "outcomes.api.common.BoundedJSONParser",
        "outcomes.api.common.BoundedFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "outcomes.api.common.Pagination",
    "PAGE_SIZE": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "COS Registry API",
    "DESCRIPTION": "Core outcome sets of clinical research: browse, export and agree them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "outcomes.api.errors.schema_add_error_responses",
        "outcomes.api.registry.filters.schema_query_values_not_empty",
    ],
    "ENUM_NAME_OVERRIDES": {
        "VersionStatusEnum": "outcomes.models.sets.CoreOutcomeSetVersion.Status",
        "InstrumentKindEnum": "outcomes.models.sets.Instrument.Kind",
        "ItemKindEnum": "outcomes.models.consensus.Item.Kind",
        "RoundKindEnum": "outcomes.models.consensus.Round.Kind",
        "RoundStatusEnum": "outcomes.models.consensus.Round.Status",
        "ConceptSetRevisionStatusEnum": "outcomes.models.mapping.ConceptSetRevision.Status",
        "LanguageEnum": "cos_registry.settings.LANGUAGES",
    },
}

# Production hardening: on whenever DEBUG is off (python manage.py check --deploy is clean then).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# A strict Content-Security-Policy: everything is served from this origin, nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Panel links are credentials: every record is redacted before it is written (cos_registry/log_redaction.py).
    "filters": {"redact_secrets": {"()": "cos_registry.log_redaction.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own handlers (its console, error emails to ADMINS, runserver's request log) are replaced by the
    # root handler above, so that nothing is written unredacted.
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# Scheduled tasks (run by `celery worker --beat`, see scripts/serve.sh).
CELERY_BEAT_SCHEDULE = {
    # Reminders respect each process's reminder_days_before_close and never email a panelist twice a day.
    "consensus-reminders": {"task": "outcomes.tasks.consensus_reminders_send", "schedule": 3600.0},
    # Sends the tasks that could not be queued while the broker was away, and again those not done in time.
    "outbox-relay": {"task": "outcomes.tasks.outbox_relay", "schedule": env_int("OUTBOX_RELAY_SECONDS", 60, minimum=1)},
    # Webhook deliveries whose retry is due (the retry schedule lives in the database, not in the broker).
    "webhook-retries": {"task": "outcomes.tasks.webhook_retries_send", "schedule": 30.0},
}
# An outbox message sent but not done this long after is sent again (the broker lost it, e.g. Redis restarted
# without persistence). Longer than a task waits in the queue plus runs, or it is sent twice (harmless: a second
# run of one message does nothing, outcomes/services/outbox.py).
OUTBOX_REDELIVER_SECONDS = env_int("OUTBOX_REDELIVER_SECONDS", 900, minimum=1)

# Change notifications (docs/notifications.md).
# How long a subscription's confirmation link and an email's unsubscribe link stay valid, in seconds.
SUBSCRIPTION_CONFIRM_MAX_AGE = env_int("SUBSCRIPTION_CONFIRM_MAX_AGE", 3 * 24 * 3600, minimum=60)
SUBSCRIPTION_UNSUBSCRIBE_MAX_AGE = env_int("SUBSCRIPTION_UNSUBSCRIBE_MAX_AGE", 365 * 24 * 3600, minimum=60)
# Webhooks: by default only https:// URLs on public addresses are accepted and delivered to (SSRF). True allows
# http:// and private, loopback and link-local targets: for tests and a registry on a closed network only.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
# Seconds to wait before each retry of a failed delivery (exponential, x4): 30 s, 2 min, 8 min, 32 min, 2 h 8 min,
# 8 h 32 min; after the last one the delivery is given up (and can be replayed).
WEBHOOK_RETRY_SCHEDULE = env_int_list("WEBHOOK_RETRY_SCHEDULE", [30, 120, 480, 1920, 7680, 30720])
# An endpoint is disabled after this many failed attempts in a row, and its owner emailed.
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 10, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# After a secret rotation the previous secret still signs (a second signature) for this long, in seconds.
WEBHOOK_SECRET_GRACE_SECONDS = env_int("WEBHOOK_SECRET_GRACE_SECONDS", 24 * 3600, minimum=0)
