"""Settings shared by every mode. Everything configurable comes from the environment
through one ``environ.Env()``; ``local.py``, ``test.py`` and ``production.py`` only change
defaults and demand what production must be given.

django-environ: https://django-environ.readthedocs.io/
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# No .env here: local.py reads it (a convenience for local work); production must see
# only its real environment, so that a stray file on a server changes nothing.

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from static/, no CDN
    "django_celery_beat",
    "django_filters",
    "django_htmx",
    "csp",
    "accounts",
    "providers",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.CurrentMerchantMiddleware",
]

# Content-Security-Policy on every response (django-csp): scripts only from this site's
# own static files, never inline (no ``<script>`` bodies, no ``onclick=``): an injected
# script has nowhere to run. Styles allow inline ``style=`` attributes and the style
# element htmx adds for its indicators (CSS cannot run code). Images: ours, and
# ``data:`` for the QR codes pages embed. No framing (X-Frame-Options says DENY too).
# https://django-csp.readthedocs.io/en/latest/configuration.html
from csp.constants import NONE, SELF, UNSAFE_INLINE  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
# Every request runs in one transaction: a view that fails half way leaves nothing behind.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
_db = DATABASES["default"]
if _db.get("ENGINE", "").endswith("sqlite3") and _db.get("NAME") not in (None, "", ":memory:"):
    # The embedded default: the web server, the Celery worker and beat write one file.
    # A deferred transaction that reads, then writes while another holds the write lock
    # fails at once ("database is locked": SQLite's busy timeout cannot help a lock
    # upgrade); IMMEDIATE takes the write lock at BEGIN and waits up to `timeout` for
    # it, and WAL lets readers outside a transaction go on beside the one writer. (Every
    # request is a transaction, so requests take turns: fine for one laptop.) Options
    # given in DATABASE_URL win.
    for _option, _value in {"transaction_mode": "IMMEDIATE", "timeout": 20,
                            "init_command": "PRAGMA journal_mode=WAL;"}.items():
        _db.setdefault("OPTIONS", {}).setdefault(_option, _value)
# The callback URL's insert is prepared once per database connection (PostgreSQL). Set
# false behind a transaction-mode pooler that cannot keep prepared statements
# (PgBouncer before 1.21); Django's own queries are never prepared.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# On in production (see production.py); a test server may turn it on (tests/abuse/test_load.py).
CALLBACK_BATCHED_STORE = env.bool("CALLBACK_BATCHED_STORE", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Provider credentials at rest -------------------------------------------------
# A list of Fernet keys (urlsafe base64, 32 bytes). The first encrypts; all decrypt.
# Rotate by putting a new key first and running `manage.py rotate_encryption_keys`.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")

# Where the local sandboxes listen; seed_demo points the demo connections here.
SANDBOX_BASE_URL = env("SANDBOX_BASE_URL", default="http://127.0.0.1:8100")
# Public base URL of this Paydesk, used to build the callback URLs given to providers.
PAYDESK_PUBLIC_URL = env("PAYDESK_PUBLIC_URL", default="http://127.0.0.1:8000")

# --- Caches -----------------------------------------------------------------------
# "default" is per process (short-lived reads such as EnigmaPay's dealer settings).
# "shared" is seen by every web and Celery process: the EnKash session token lives there
# (providers.services.enkash_token_store), so that one token per connection serves them
# all. In the database by default (the table comes with migration payments 0004), on
# Redis with SHARED_CACHE_URL=redis://host:6379/N.
# https://docs.djangoproject.com/en/5.2/topics/cache/#database-caching
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": env.cache("SHARED_CACHE_URL", default="dbcache://paydesk_shared_cache"),
}

# Timeouts for every upstream call, in seconds: (connect, read).
PROVIDER_CONNECT_TIMEOUT = env.float("PROVIDER_CONNECT_TIMEOUT", default=3.05)
PROVIDER_READ_TIMEOUT = env.float("PROVIDER_READ_TIMEOUT", default=15.0)

# --- Celery -----------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only after it finishes, so a worker that dies mid-task
# leaves the message on the broker for another worker: tasks must be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Workers keep Django's LOGGING (and so its redacting filter) instead of replacing the
# root logger's handlers with Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How long a sync claim holds a transaction (payments/sync/policy.py); longer than the
# batch task's hard time limit. Lowered only by the worker-kill test.
SYNC_LEASE_SECONDS = env.int("SYNC_LEASE_SECONDS", default=360)

# --- REST API ---------------------------------------------------------------------
# The shared wiring (auth, roles, error shape) is described in config/api.py.
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    # API key first: its WWW-Authenticate header makes a call with no credentials a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiKeyAuthentication",
        "accounts.api.authentication.MerchantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.api.CursorPage",
    "PAGE_SIZE": 50,
    # Decimal amounts go out as strings ("500.00"), never through float.
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Paydesk API",
    "DESCRIPTION": (
        "One API in front of five payment providers. Authenticate with a merchant API key "
        "(`Authorization: Bearer pd_<prefix>_<secret>`, from Settings → API keys) or, from the "
        "dashboard, with the session cookie and CSRF token. Every error has the shape "
        '`{"error": {"code", "message", "fields"}}`; another merchant\'s record is a 404.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # <id:pk> (config.api.IdConverter) is an integer id.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 999999999999999999}},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "displayOperationId": True},
    # Two models have a "status": name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "TransactionStatusEnum": "payments.models.core.Status",
        "ConnectionStatusEnum": "providers.models.ProviderConnection.Status",
    },
}

# --- Logging ----------------------------------------------------------------------
# Every handler passes through the redacting filter: no secret, PAN, IPIN, CVV, OTP
# or password reaches a log line in clear, whoever logged it. A 4xx is one line, not a
# traceback (``one_line_4xx`` runs first, before redact turns the traceback into text).
# Here everything goes to the console (stderr), as a container or a process manager
# expects; local.py adds a file under var/log/ and keeps the terminal for errors.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FILTERS = ["one_line_4xx", "redact"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "one_line_4xx": {"()": "config.log_filters.ClientErrorsOnOneLine"},
        "redact": {"()": "providers.base.redaction.RedactingFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="plain"),
            "filters": LOG_FILTERS,
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (DEBUG only) has no redacting filter: route
        # django.* through ours instead, once.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # urllib3 logs full request paths at DEBUG, before our client redacts them
        # (EoneoPay puts API keys in paths): keep it quiet.
        "urllib3": {"level": "WARNING"},
    },
}
