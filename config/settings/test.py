"""Settings for the test suite. DATABASE_URL and CELERY_BROKER_URL come from the
environment when set (CI points them at PostgreSQL and Redis); otherwise SQLite and an
in-memory broker keep a quick local run free of services."""

import os

_defaults = {
    "DJANGO_SECRET_KEY": "test-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz-test",
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWZlcm5ldC1rZXktMDAwMDAwMDAwMDA=",
    "DATABASE_URL": "sqlite:///:memory:",
    "CELERY_BROKER_URL": "memory://",
    "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
}
for _name, _value in _defaults.items():
    os.environ.setdefault(_name, _value)

from config.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Short upstream timeouts keep the fault tests quick.
PROVIDER_CONNECT_TIMEOUT = 1.0
PROVIDER_READ_TIMEOUT = 2.0
