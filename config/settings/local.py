"""The embedded default: no services needed. SQLite, Celery on kombu's filesystem
transport under var/, the sandboxes on localhost, logs in var/log/. Never use these
keys anywhere real."""

import copy
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
from config.settings.base import CELERY_BROKER_URL, LOG_FILTERS, LOG_LEVEL, LOGGING, VAR_DIR, env  # noqa: E402

if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: producer and worker exchange files in one folder.
    # https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.transport.filesystem.html
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    # Exchange tables (the worker's pidbox among them); kombu's default is ./control.
    _control = VAR_DIR / "celery" / "control"
    for _folder in (_queue, _processed, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "control_folder": str(_control),
        "store_processed": False,
    }

# Logs: everything from LOG_LEVEL up goes to a file under var/log/ (bin/run gives the
# Celery worker and the sandboxes a file each through PAYDESK_LOG_FILE); the terminal
# shows warnings and errors only, so that the banner of `make run` stays readable.
LOGGING = copy.deepcopy(LOGGING)  # base's stays as base says
LOG_FILE = env("PAYDESK_LOG_FILE", default=str(VAR_DIR / "log" / "paydesk.log"))
Path(LOG_FILE).parent.mkdir(parents=True, exist_ok=True)
LOGGING["handlers"]["console"]["level"] = "WARNING"
LOGGING["handlers"]["file"] = {
    # Watched: logrotate may move the file away; delay: a command that logs nothing
    # creates no file.
    "class": "logging.handlers.WatchedFileHandler",
    "filename": LOG_FILE,
    "delay": True,
    "formatter": "plain",
    "filters": LOG_FILTERS,
    "level": LOG_LEVEL,
}
# The filesystem transport has no host, and kombu says so (a warning) on every connect.
LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}
LOGGING["root"]["handlers"] = ["console", "file"]
LOGGING["loggers"]["django"]["handlers"] = ["console", "file"]
