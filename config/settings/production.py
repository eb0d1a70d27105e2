"""Production: every secret must come from the environment; there are no defaults,
and no ``.env`` file is read (base.py reads none; only local.py does).
Refuses to start if DJANGO_SECRET_KEY, FIELD_ENCRYPTION_KEYS, DATABASE_URL,
CELERY_BROKER_URL or DJANGO_ALLOWED_HOSTS is missing, empty or unusable: SQLite and
brokers that live inside one process or one machine (memory, filesystem, SQL) are
refused, since several web and Celery workers must share them."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import (
    ALLOWED_HOSTS,
    CELERY_BROKER_URL,
    DATABASES,
    FIELD_ENCRYPTION_KEYS,
    LOGGING,
    SECRET_KEY,
    env,
)

# Redis and RabbitMQ, as kombu names their transports.
# https://docs.celeryq.dev/projects/kombu/en/stable/userguide/connections.html#urls
_BROKER_SCHEMES = {"redis", "rediss", "redis+socket", "sentinel", "amqp", "amqps", "pyamqp", "librabbitmq"}

# The public development keys of local.py and test.py: never good enough here.
_PUBLIC_KEYS = {
    "bG9jYWwtZGV2LW9ubHktZmVybmV0LWtleS0wMDAwMDA=",
    "dGVzdC1vbmx5LWZlcm5ldC1rZXktMDAwMDAwMDAwMDA=",
}


def _refuse(name: str, why: str) -> None:
    raise ImproperlyConfigured(f"{name} {why}")


DEBUG = False
if not [h for h in ALLOWED_HOSTS if h.strip()]:
    _refuse("DJANGO_ALLOWED_HOSTS", "must list this site's host names.")
if len(SECRET_KEY) < 50 or "not-secret" in SECRET_KEY:
    _refuse("DJANGO_SECRET_KEY", "must be a long random value (50+ characters).")
if not [k for k in FIELD_ENCRYPTION_KEYS if k.strip()]:
    _refuse("FIELD_ENCRYPTION_KEYS", "must list at least one Fernet key.")
for _key in FIELD_ENCRYPTION_KEYS:
    if _key in _PUBLIC_KEYS:
        _refuse("FIELD_ENCRYPTION_KEYS", "holds a public development key.")
    try:
        Fernet(_key.encode())
    except (ValueError, TypeError):
        _refuse("FIELD_ENCRYPTION_KEYS", "holds a value that is not a Fernet key.")
if DATABASES["default"].get("ENGINE", "").endswith("dummy") or not DATABASES["default"].get("NAME"):
    _refuse("DATABASE_URL", "must point at the production database.")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    _refuse("DATABASE_URL", "must point at PostgreSQL, not SQLite (one file cannot serve several workers).")
# Several brokers may be listed for failover, separated by ";".
_broker_schemes = {url.strip().partition("://")[0].lower() for url in CELERY_BROKER_URL.split(";")}
if not CELERY_BROKER_URL.strip() or not _broker_schemes <= _BROKER_SCHEMES:
    _refuse("CELERY_BROKER_URL", "must point at Redis or RabbitMQ (redis://, rediss://, amqp://, amqps://).")

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# X-Forwarded-Proto says "this came in over https" only if a proxy in front sets it
# and strips what clients send; otherwise any client could claim https. So it is
# trusted only when the deployment says so.
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
if env.bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# A load balancer's health probe often speaks plain http to the instance.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# The callback URL's threads store through one writer per process, many deliveries per
# statement and commit (providers.callbacks._BatchedStore). Off by default elsewhere: a
# test's transaction is not visible to another connection.
CALLBACK_BATCHED_STORE = env.bool("CALLBACK_BATCHED_STORE", default=True)
STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"

# Test-mode connections may call loopback and private addresses (a sandbox next to
# Paydesk); here only the host names listed may be used by one, so that no merchant can
# point a "test" connection at this deployment's own network. Empty: no test connections.
# Live connections are not affected (public https hosts only, providers/addresses.py).
PROVIDER_TEST_HOSTS = env.list("PROVIDER_TEST_HOSTS", default=[])

# One JSON object per line on stderr (config/log_format.py); LOG_FORMAT=plain for text.
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")
