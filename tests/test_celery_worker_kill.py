"""A worker killed (SIGKILL) in the middle of a sync batch, or while it applies
callbacks, loses nothing and moves no money twice: a real ``celery worker`` process is
killed while its status calls are in flight, a new one is started, and the final state is
compared with an uninterrupted run.

It needs a database and a broker another process can share (PostgreSQL and Redis, as
in CI); on SQLite in memory and the in-memory broker it is skipped."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from config.celery import app
from payments.callbacks.tasks import callbacks_sweep
from payments.models import Status, SyncRun, Transaction
from payments.services.balances import ibans_refresh
from payments.tasks import transactions_sync_due
from providers.enigmapay import wire
from providers.models import WebhookEvent
from tests.conftest import arm_fault
from tests.helpers import requests_to, wait_for
from tests.payments.test_payout_create import pay

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
        or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a worker process needs a shared database and broker: set DATABASE_URL (PostgreSQL) and "
               "CELERY_BROKER_URL (Redis), as CI does",
    ),
]

ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 3
COUNT = 6


def start_worker(log: Path) -> subprocess.Popen:
    db = db_connection.settings_dict
    # The test settings with the callback claim's lease shortened as the sync's is (a
    # settings module of its own: the lease is not read from the environment).
    (log.parent / "kill_settings.py").write_text(
        f"from config.settings.test import *  # noqa\nCALLBACK_CLAIM_LEASE_SECONDS = {LEASE_SECONDS}\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(log.parent), str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "kill_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SYNC_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=20)


def enqueue_sync() -> None:
    with transaction.atomic():
        transaction.on_commit(transactions_sync_due.delay)


def outcome(payouts) -> list[tuple]:
    """What a person would compare: status, raw status and the timeline of each payout."""
    rows = []
    for p in Transaction.objects.filter(pk__in=[p.pk for p in payouts]).order_by("pk"):
        events = [(e.from_status, e.to_status, e.source) for e in p.events.all()]
        rows.append((p.status, p.raw_status, p.amount, p.sync_lease_until, events))
    return rows


def synced(payouts):
    return all(s == Status.SUCCEEDED for s in Transaction.objects.filter(
        pk__in=[p.pk for p in payouts]).values_list("status", flat=True))


def test_a_worker_killed_mid_sync_loses_nothing_and_sends_nothing_twice(enigmapay, sandbox, tmp_path):
    requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enigmapay", "completion_delay": 0}, timeout=5)
    ibans_refresh(connection=enigmapay)
    app.control.purge()
    log = tmp_path / "worker.log"
    worker = start_worker(log)
    try:
        # The uninterrupted run.
        control = [pay(enigmapay, amount="10.00") for _ in range(COUNT)]
        Transaction.objects.update(next_sync_at=timezone.now() - timedelta(seconds=1))
        enqueue_sync()
        wait_for(lambda: synced(control), timeout=40, interval=0.2)

        # The interrupted one: every status call hangs a second; the worker dies mid-call.
        killed = [pay(enigmapay, amount="10.00") for _ in range(COUNT)]
        sent = requests_to(sandbox, "enigmapay", "/send-money")
        asked = requests_to(sandbox, "enigmapay", "/transaction-status")
        arm_fault(sandbox, "enigmapay", "transaction_status", "slow", delay=1.0, count=COUNT)
        Transaction.objects.filter(pk__in=[p.pk for p in killed]).update(
            next_sync_at=timezone.now() - timedelta(seconds=1))
        enqueue_sync()
        wait_for(lambda: requests_to(sandbox, "enigmapay", "/transaction-status") > asked, timeout=20, interval=0.02)
        stop(worker, signal.SIGKILL)
        assert not synced(killed)  # it really died half way

        # A new worker; beat goes on enqueuing the scheduled sync until the leases run out.
        worker = start_worker(log)
        deadline = time.monotonic() + 40
        while not synced(killed) and time.monotonic() < deadline:
            enqueue_sync()
            time.sleep(1)
        assert synced(killed), log.read_text()[-3000:]
    finally:
        stop(worker)

    assert requests_to(sandbox, "enigmapay", "/send-money") == sent == 2 * COUNT  # no money moved twice
    # Same end state as the run nobody killed, timeline included (no duplicate event).
    assert outcome(killed) == outcome(control)
    assert outcome(killed)[0][-1] == [("", "pending", "system"), ("pending", "pending", "system"),
                                      ("pending", "succeeded", "sync")]
    assert SyncRun.objects.filter(finished_at__isnull=True).count() <= 1  # the killed run, never closed


# -- callbacks -------------------------------------------------------------------------------
def deliver(live_server, connection, payout) -> None:
    """EnigmaPay's status callback for ``payout``, through the callback URL (stored, then
    handed to the workers by the web process's outbox)."""
    body = {"transaction_id": int(payout.external_id), "status": "Completed", "amount": payout.amount,
            "username": "ayse.yilmaz", "description": f"[{payout.reference}]"}
    answer = requests.post(live_server.url + connection.callback_path(), data=wire.dumps(body).encode(),
                           headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 200


def applied(payouts) -> bool:
    events = WebhookEvent.objects.filter(external_id__in=[p.external_id for p in payouts])
    return events.count() == len(payouts) and not events.exclude(processing=WebhookEvent.Processing.PROCESSED)


def test_a_worker_killed_mid_apply_loses_no_callback_and_applies_none_twice(
        enigmapay, sandbox, live_server, tmp_path, settings):
    settings.CALLBACK_HAND_OVER_SECONDS = 0.2  # the deliveries of a run go to the workers as one list
    requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enigmapay", "completion_delay": 0}, timeout=5)
    ibans_refresh(connection=enigmapay)
    app.control.purge()
    log = tmp_path / "worker.log"
    worker = start_worker(log)
    try:
        # The uninterrupted run.
        control = [pay(enigmapay, amount="10.00") for _ in range(COUNT)]
        for payout in control:
            deliver(live_server, enigmapay, payout)
        wait_for(lambda: applied(control) and synced(control), timeout=40, interval=0.2)

        # The interrupted one: every confirming status call hangs a second; the worker
        # dies in the first, its list of callbacks half done (none, here) and unacknowledged.
        killed = [pay(enigmapay, amount="10.00") for _ in range(COUNT)]
        sent = requests_to(sandbox, "enigmapay", "/send-money")
        asked = requests_to(sandbox, "enigmapay", "/transaction-status")
        arm_fault(sandbox, "enigmapay", "transaction_status", "slow", delay=1.0, count=COUNT)
        for payout in killed:
            deliver(live_server, enigmapay, payout)
        wait_for(lambda: requests_to(sandbox, "enigmapay", "/transaction-status") > asked, timeout=20, interval=0.02)
        stop(worker, signal.SIGKILL)
        assert not synced(killed)  # it really died half way
        claimed = WebhookEvent.objects.filter(processing=WebhookEvent.Processing.PROCESSING)
        assert claimed.count() == 1  # the one it was confirming, claimed and never finished
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)

        # A new worker; beat goes on enqueuing the sweep, which takes the events left
        # behind (the pending ones, and the claimed one once its lease has run out).
        worker = start_worker(log)
        deadline = time.monotonic() + 40
        while not applied(killed) and time.monotonic() < deadline:
            callbacks_sweep.delay()
            time.sleep(1)
        assert applied(killed), log.read_text()[-3000:]
    finally:
        stop(worker)

    assert requests_to(sandbox, "enigmapay", "/send-money") == sent == 2 * COUNT  # no money moved twice
    # Same end state as the run nobody killed: each payout succeeded by one callback event.
    assert outcome(killed) == outcome(control)
    assert outcome(killed)[0][-1] == [("", "pending", "system"), ("pending", "pending", "system"),
                                      ("pending", "succeeded", "callback")]
    events = WebhookEvent.objects.filter(external_id__in=[p.external_id for p in killed])
    assert sorted(events.values_list("attempts", flat=True)) == [1] * (COUNT - 1) + [2]  # the killed one twice
    assert all(e.outcome.startswith("applied to ") for e in events)
