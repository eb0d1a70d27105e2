"""The embedded default: no services needed. SQLite, Celery on kombu's filesystem
transport under var/, the sandboxes on localhost. Never use these keys anywhere real."""

import os
from pathlib import Path

import environ

_root = Path(__file__).resolve().parent.parent.parent
_var = _root / "var"
# .env first, so that what it sets wins over the defaults below (the environment wins
# over both).
environ.Env.read_env(_root / ".env", overwrite=False)
_defaults = {
    "DJANGO_DEBUG": "true",
    # Fixed, public development keys: fine for a laptop, refused by production.py.
    "DJANGO_SECRET_KEY": "local-dev-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    "FIELD_ENCRYPTION_KEYS": "bG9jYWwtZGV2LW9ubHktZmVybmV0LWtleS0wMDAwMDA=",
    "DATABASE_URL": f"sqlite:///{_var / 'db.sqlite3'}",
    "CELERY_BROKER_URL": "filesystem://",
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1,[::1]",
}
for _name, _value in _defaults.items():
    os.environ.setdefault(_name, _value)

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import CELERY_BROKER_URL, VAR_DIR  # noqa: E402

if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: producer and worker exchange files in one folder.
    # https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.transport.filesystem.html
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    for _folder in (_queue, _processed):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "store_processed": False,
    }
