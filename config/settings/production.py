"""Production: every secret must come from the environment; there are no defaults.
Refuses to start if DJANGO_SECRET_KEY, FIELD_ENCRYPTION_KEYS, DATABASE_URL,
CELERY_BROKER_URL or DJANGO_ALLOWED_HOSTS is missing, empty or unusable."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import (
    ALLOWED_HOSTS,
    CELERY_BROKER_URL,
    DATABASES,
    FIELD_ENCRYPTION_KEYS,
    SECRET_KEY,
    env,
)

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
if not CELERY_BROKER_URL.strip() or CELERY_BROKER_URL.startswith(("memory://", "filesystem://")):
    _refuse("CELERY_BROKER_URL", "must point at Redis or RabbitMQ.")

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
