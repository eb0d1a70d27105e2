"""The Celery app. Reads every CELERY_* Django setting, so the broker (kombu's
filesystem transport locally, Redis or RabbitMQ in production) is configuration only."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("paydesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
