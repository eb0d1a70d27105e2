"""The Celery app. Reads every CELERY_* Django setting, so the broker (kombu's
filesystem transport locally, Redis or RabbitMQ in production) is configuration only.
Without DJANGO_SETTINGS_MODULE a worker runs production settings, like ``config.wsgi``:
one started bare refuses to run rather than come up in local mode (``bin/run`` sets local
settings explicitly)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("paydesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
