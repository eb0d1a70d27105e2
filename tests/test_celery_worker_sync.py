"""The status sync on a real Celery worker (Redis in CI, in-memory locally) against the
running sandbox: tasks enqueued after commit as beat would, results read from the
database the worker wrote."""

import socket
import time
from datetime import timedelta

import pytest
import requests
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from config.celery import app
from payments.models import Status, SyncRun, Transaction
from payments.services.balances import ibans_refresh
from payments.tasks import balances_sync_all, transactions_sync_due
from providers.enigmapay.testdata import DEMO_CREDENTIALS
from providers.services import connection_upsert
from tests import helpers
from tests.conftest import arm_fault
from tests.factories import MerchantFactory
from tests.helpers import requests_to
from tests.payments.test_payout_create import pay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


# SQLite in memory fails a second writer at once ("table is locked") instead of waiting:
# there the worker runs one task at a time. CI (PostgreSQL) runs two.
ON_SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


@pytest.fixture(scope="module")
def celery_worker():
    # Two at once: a connection that hangs must not hold up another connection's batch.
    concurrency = 1 if ON_SQLITE else 2
    with start_worker(app, pool="threads", concurrency=concurrency, perform_ping_check=False,
                      shutdown_timeout=10) as worker:
        yield worker
    app.control.purge()  # nothing left over for the next module's worker


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """tests.helpers.wait_for, reading again when SQLite's shared in-memory database is
    locked by the worker's write (it fails a reader at once instead of waiting)."""
    def attempt():
        try:
            return predicate()
        except OperationalError:
            return False
    return helpers.wait_for(attempt, timeout=timeout, interval=interval)


def enqueue(task):
    """As beat does: after commit."""
    with transaction.atomic():
        transaction.on_commit(task.delay)


def configure(sandbox, **options):
    requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enigmapay", **options}, timeout=5)


def make_due(*txs):
    Transaction.objects.filter(pk__in=[t.pk for t in txs]).update(next_sync_at=timezone.now() - timedelta(seconds=1))


def status_of(tx):
    return Transaction.objects.get(pk=tx.pk).status


def test_a_payout_becomes_completed_through_the_periodic_sync(celery_worker, enigmapay, sandbox):
    configure(sandbox, completion_delay=0.2)
    ibans_refresh(connection=enigmapay)
    payout = pay(enigmapay)
    assert payout.status == Status.PENDING
    time.sleep(0.3)
    make_due(payout)
    enqueue(transactions_sync_due)
    wait_for(lambda: status_of(payout) == Status.SUCCEEDED, timeout=20)
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.raw_status == "Completed" and stored.events.last().source == "sync"
    wait_for(lambda: SyncRun.objects.filter(finished_at__isnull=False).exists(), timeout=10)
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_an_unknown_payout_resolves_on_the_worker_with_no_second_send(celery_worker, enigmapay, sandbox):
    configure(sandbox, completion_delay=0)
    ibans_refresh(connection=enigmapay)
    arm_fault(sandbox, "enigmapay", "send_money", "dropped")
    payout = pay(enigmapay)
    assert payout.status == Status.UNKNOWN
    make_due(payout)
    enqueue(transactions_sync_due)
    wait_for(lambda: status_of(payout) == Status.SUCCEEDED, timeout=20)
    assert Transaction.objects.get(pk=payout.pk).external_id
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_the_balance_sync_never_calls_the_upstream_twice_within_a_minute(celery_worker, enigmapay, sandbox):
    for _ in range(3):
        enqueue(balances_sync_all)
    wait_for(lambda: SyncRun.objects.filter(task="balances", finished_at__isnull=False).count() == 3, timeout=20)
    assert requests_to(sandbox, "enigmapay", "/ibans") == 1
    assert sorted(SyncRun.objects.filter(task="balances").values_list("changed", flat=True)) == [0, 0, 3]


@pytest.fixture
def hanging_server():
    """Accepts connections and never answers: every call waits for its read timeout."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/enigmapay/api/dealer"
    sock.close()


@pytest.mark.skipif(ON_SQLITE, reason="needs two tasks at once, which SQLite in memory cannot take; "
                                       "CI runs it on PostgreSQL (tests/payments/test_sync.py covers the backoff)")
def test_a_failing_connection_does_not_delay_the_others(celery_worker, enigmapay, sandbox, hanging_server):
    configure(sandbox, completion_delay=0)
    ibans_refresh(connection=enigmapay)
    good = pay(enigmapay)
    other = MerchantFactory(name="Hanging Ltd", slug="hanging")
    slow, _ = connection_upsert(merchant=other, provider="enigmapay", mode="test", base_url=hanging_server,
                                credentials=dict(DEMO_CREDENTIALS))
    stuck = [Transaction.objects.create(merchant=other, connection=slow, provider="enigmapay", kind="payout",
                                        amount="10.00", currency="TRY", external_id=str(6000 + i)) for i in range(3)]
    make_due(good, *stuck)
    started = time.monotonic()
    enqueue(transactions_sync_due)
    wait_for(lambda: status_of(good) == Status.SUCCEEDED, timeout=20)
    good_after = time.monotonic() - started
    wait_for(lambda: SyncRun.objects.filter(connection=slow, finished_at__isnull=False).exists(), timeout=60)
    slow_after = time.monotonic() - started
    run = SyncRun.objects.get(connection=slow)
    assert run.error and run.next_attempt_at > timezone.now()
    assert all(status_of(t) == Status.PENDING for t in stuck)  # never guessed
    # The good connection finished while the hanging one was still waiting on its timeouts.
    assert good_after < 2 < slow_after, (good_after, slow_after)
