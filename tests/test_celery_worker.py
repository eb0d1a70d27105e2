"""A real Celery worker on the configured broker (Redis in CI, in-memory locally)
picks up a task enqueued after commit and records its result in the database."""


import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from config.celery import app
from providers.models import ProviderConnection
from providers.tasks import connection_check
from tests.factories import ConnectionFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


@pytest.fixture(scope="module")
def celery_worker():
    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def test_worker_runs_a_connection_check_enqueued_on_commit(celery_worker, settings):
    settings.PROVIDER_CONNECT_TIMEOUT = 0.5
    # Port 9 (discard) on localhost refuses connections: the check must fail cleanly.
    connection = ConnectionFactory(base_url="http://127.0.0.1:9/enigmapay/api/dealer")
    with transaction.atomic():
        transaction.on_commit(lambda: connection_check.delay(connection.pk))
    wait_for(lambda: ProviderConnection.objects.get(pk=connection.pk).status != "unchecked", timeout=20)
    connection.refresh_from_db()
    assert connection.status == "failing"
    assert "could not reach" in connection.last_error
    assert connection.last_checked_at is not None


def test_broker_is_the_configured_one(settings):
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
