"""Callbacks applied by a real Celery worker, confirmed with the real EnigmaPay sandbox
over HTTP: a payout completes through the sandbox's own callback; replays, duplicates
and concurrent deliveries apply once; forged callbacks change nothing and say why; a
worker that dies mid-apply loses nothing."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
import requests
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError
from django.db import connection as db_connection

from config.celery import app
from payments.callbacks import services as callback_services
from payments.callbacks.tasks import callbacks_sweep
from payments.models import Status, Transaction, TransactionEvent
from payments.services.common import Actor
from payments.services.payouts import payout_create
from providers import callbacks as provider_callbacks
from providers.enigmapay import testdata, wire
from providers.enigmapay.testdata import DEMO_CREDENTIALS
from providers.models import WebhookEvent
from providers.services import connection_upsert
from tests.factories import MerchantFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

Processing = WebhookEvent.Processing

# SQLite's shared in-memory test database locks whole tables between threads (no busy
# wait): races are only meaningful on PostgreSQL, where Paydesk runs them. Run with
# DATABASE_URL=postgres://... (CI does).
needs_postgresql = pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (see module comment)"
)


@pytest.fixture(scope="module")
def celery_worker():
    # Four threads: concurrent deliveries really run side by side.
    with start_worker(app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def wait_until(predicate, timeout: float = 15.0):
    """wait_for, reading again when SQLite's shared test database is locked by a worker."""
    def attempt():
        try:
            return predicate()
        except OperationalError:
            return False
    return wait_for(attempt, timeout=timeout)


def configure(sandbox, **options) -> None:
    requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enigmapay", **options},
                  timeout=5).raise_for_status()


def pay(connection, amount="150.00") -> Transaction:
    payout = payout_create(connection=connection, actor=Actor.system(), username="ayse.yilmaz",
                           customer_iban=testdata.CUSTOMER_IBAN_OK, customer_name="Ayşe Yılmaz",
                           amount=amount, description="Callback test")
    assert payout.status == Status.PENDING and payout.external_id
    return payout


def deliver(live_server, connection, body: dict | bytes) -> requests.Response:
    raw = body if isinstance(body, bytes) else wire.dumps(body).encode()
    answer = requests.post(live_server.url + connection.callback_path(), data=raw,
                           headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 200 and answer.json() == {"success": True}
    return answer


def callback_body(payout: Transaction, *, status="Completed", amount=None) -> dict:
    return {"transaction_id": int(payout.external_id), "status": status,
            "amount": Decimal(amount or payout.amount), "username": "ayse.yilmaz",
            "description": f"Callback test [{payout.reference}]", "completed_at": "2025-11-26 14:35:00"}


def finished(**filters):
    return lambda: WebhookEvent.objects.filter(**filters).exclude(
        processing__in=[Processing.PENDING, Processing.PROCESSING]).exists()


def callback_events(payout: Transaction) -> list[TransactionEvent]:
    return list(TransactionEvent.objects.filter(transaction=payout, source=TransactionEvent.Source.CALLBACK))


def test_a_payout_becomes_completed_through_the_sandboxs_callback(celery_worker, enigmapay, sandbox, live_server):
    configure(sandbox, callback_url=live_server.url + enigmapay.callback_path(), completion_delay=0.3)
    payout = pay(enigmapay)

    wait_until(lambda: Transaction.objects.get(pk=payout.pk).status == Status.SUCCEEDED, timeout=15)
    payout.refresh_from_db()
    assert payout.raw_status == "Completed" and payout.next_sync_at is None
    [event] = callback_events(payout)
    assert (event.from_status, event.to_status, event.raw_status) == (Status.PENDING, Status.SUCCEEDED, "Completed")
    stored = WebhookEvent.objects.get(connection=enigmapay)
    assert event.actor == f"EnigmaPay callback #{stored.pk}"
    assert "confirmed by its status call" in event.note
    wait_until(finished(pk=stored.pk))
    stored.refresh_from_db()
    assert stored.processing == Processing.PROCESSED and stored.trusted is True
    assert stored.outcome == f"applied to {payout.reference}: pending → succeeded"
    assert stored.external_id == payout.external_id and stored.attempts == 1 and stored.error == ""
    # Confirmed with the provider, not taken on the callback's word.
    assert any(r.path.endswith("/transaction-status") for r in sandbox.sandbox("enigmapay").received)


def test_replays_and_duplicates_apply_once(celery_worker, enigmapay, sandbox, live_server):
    configure(sandbox, completion_delay=0.1)
    payout = pay(enigmapay)
    wait_until(lambda: sandbox.sandbox("enigmapay").transactions[int(payout.external_id)].status == "Completed")
    body = callback_body(payout)
    deliver(live_server, enigmapay, body)
    wait_until(finished(connection=enigmapay), timeout=15)  # one writer at a time on SQLite
    for _ in range(2):  # the same bytes again: one event, counted, not applied again
        deliver(live_server, enigmapay, body)
    # The same news in other bytes (key order): a second event, confirmed, changes nothing.
    deliver(live_server, enigmapay, json.dumps(dict(reversed(list(body.items()))), default=str).encode())

    wait_until(lambda: WebhookEvent.objects.filter(connection=enigmapay).count() == 2
             and all(finished(pk=e.pk)() for e in WebhookEvent.objects.filter(connection=enigmapay)), timeout=15)
    first, second = WebhookEvent.objects.filter(connection=enigmapay).order_by("pk")
    assert first.times_received == 3 and first.attempts == 1
    applied = f"applied to {payout.reference}: pending → succeeded"
    already = f"confirmed; {payout.reference} was already succeeded"
    # The first delivery applies it (or finds it applied, had anything else got there
    # first); nothing after it applies again.
    assert first.outcome in (applied, already) and second.outcome == already
    assert {first.processing, second.processing} == {Processing.PROCESSED}
    assert len(callback_events(payout)) == (1 if first.outcome == applied else 0)
    assert Transaction.objects.get(pk=payout.pk).events.filter(to_status=Status.SUCCEEDED).exclude(
        from_status=Status.SUCCEEDED).count() == 1
    assert Transaction.objects.get(pk=payout.pk).status == Status.SUCCEEDED


@needs_postgresql
def test_concurrent_deliveries_apply_once(celery_worker, enigmapay, sandbox, live_server):
    configure(sandbox, completion_delay=0.1)
    payout = pay(enigmapay)
    wait_until(lambda: sandbox.sandbox("enigmapay").transactions[int(payout.external_id)].status == "Completed")
    # Eight deliveries at once, each in different bytes (so eight events, eight tasks
    # running side by side on four worker threads), plus the same bytes twice at once.
    bodies = [json.dumps({**callback_body(payout), "n": n}, default=str).encode() for n in range(8)]
    bodies += [bodies[0]]
    threads = [threading.Thread(target=deliver, args=(live_server, enigmapay, b)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    events = WebhookEvent.objects.filter(connection=enigmapay)
    wait_until(lambda: events.count() == 8 and all(finished(pk=e.pk)() for e in events.all()), timeout=20)
    events = list(events.all())
    assert len(callback_events(payout)) == 1
    outcomes = sorted(e.outcome for e in events)
    assert outcomes.count(f"applied to {payout.reference}: pending → succeeded") == 1
    assert outcomes.count(f"confirmed; {payout.reference} was already succeeded") == 7
    assert sum(e.times_received for e in events) == 9


@needs_postgresql
def test_one_event_claimed_by_two_workers_at_once_is_applied_by_one(enigmapay, sandbox, live_server):
    configure(sandbox, completion_delay=0.1)
    payout = pay(enigmapay)
    wait_until(lambda: sandbox.sandbox("enigmapay").transactions[int(payout.external_id)].status == "Completed")
    receipt = provider_callbacks.webhook_event_receive(
        connection=enigmapay, headers={}, body=wire.dumps(callback_body(payout)).encode(), remote_addr=None)
    results, start = [], threading.Barrier(2)

    def worker():
        start.wait()
        results.append(callback_services.callback_apply(event_id=receipt.event_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r is None for r in results) == [False, True]  # one applied, one found it taken
    event = WebhookEvent.objects.get(pk=receipt.event_id)
    assert event.attempts == 1 and event.processing == Processing.PROCESSED
    assert len(callback_events(payout)) == 1


@pytest.fixture
def pending_payout(enigmapay, sandbox):
    """A payout EnigmaPay keeps Pending for a minute, and no sandbox callback of its own."""
    configure(sandbox, completion_delay=60)
    return pay(enigmapay)


def assert_unchanged(payout: Transaction) -> None:
    stored = Transaction.objects.get(pk=payout.pk)
    assert (stored.status, stored.raw_status) == (Status.PENDING, payout.raw_status)
    assert callback_events(payout) == []


def applied_outcome(connection) -> WebhookEvent:
    wait_until(finished(connection=connection), timeout=15)
    return WebhookEvent.objects.get(connection=connection)


def test_a_callback_for_an_unknown_transaction_changes_nothing(celery_worker, enigmapay, pending_payout,
                                                                live_server):
    deliver(live_server, enigmapay, {**callback_body(pending_payout), "transaction_id": 987654})
    event = applied_outcome(enigmapay)
    assert event.processing == Processing.IGNORED and event.trusted is False
    assert event.outcome == "unknown transaction: no EnigmaPay transaction #987654 on this connection"
    assert event.external_id == "987654"
    assert_unchanged(pending_payout)


def test_a_callback_whose_status_enigmapay_does_not_confirm_changes_nothing(celery_worker, enigmapay,
                                                                             pending_payout, live_server):
    deliver(live_server, enigmapay, callback_body(pending_payout, status="Completed"))
    event = applied_outcome(enigmapay)
    assert event.processing == Processing.IGNORED and event.trusted is False
    assert event.outcome == "not confirmed: the callback says Completed, EnigmaPay says Pending"
    assert_unchanged(pending_payout)


def test_a_callback_whose_amount_enigmapay_does_not_confirm_changes_nothing(celery_worker, enigmapay, sandbox,
                                                                             live_server):
    configure(sandbox, completion_delay=0.1)
    payout = pay(enigmapay)
    wait_until(lambda: sandbox.sandbox("enigmapay").transactions[int(payout.external_id)].status == "Completed")
    deliver(live_server, enigmapay, callback_body(payout, amount="99999.00"))
    event = applied_outcome(enigmapay)
    assert event.processing == Processing.IGNORED
    assert event.outcome == "not confirmed: the callback says 99999.00 TRY, EnigmaPay says 150.00 TRY"
    assert_unchanged(payout)


def test_a_callback_for_another_connections_transaction_changes_nothing(celery_worker, enigmapay, sandbox,
                                                                         live_server):
    configure(sandbox, completion_delay=0.1)
    # Another merchant on the same dealer account: EnigmaPay itself would confirm the id.
    other, _ = connection_upsert(merchant=MerchantFactory(name="Other Traders"), provider="enigmapay", mode="test",
                                 base_url=sandbox.base_url("enigmapay"), credentials=dict(DEMO_CREDENTIALS))
    theirs = pay(other)
    wait_until(lambda: sandbox.sandbox("enigmapay").transactions[int(theirs.external_id)].status == "Completed")
    deliver(live_server, enigmapay, callback_body(theirs))
    event = applied_outcome(enigmapay)
    assert event.processing == Processing.IGNORED
    # Said as for any unknown id: this merchant must not learn that another has one.
    assert event.outcome == f"unknown transaction: no EnigmaPay transaction #{theirs.external_id} on this connection"
    assert_unchanged(theirs)


def test_an_unreadable_callback_fails_with_its_reason_and_changes_nothing(celery_worker, enigmapay,
                                                                          pending_payout, live_server):
    deliver(live_server, enigmapay, b'{"transaction_id": "abc", "status": 7}')
    event = applied_outcome(enigmapay)
    assert event.processing == Processing.FAILED
    assert event.outcome == "unreadable: not a callback Paydesk can read"
    assert "could not read" in event.error
    assert_unchanged(pending_payout)


def test_a_worker_that_dies_mid_apply_loses_nothing(celery_worker, enigmapay, sandbox, live_server, monkeypatch,
                                                    settings):
    """The worst moment: the transition is committed, the outcome not yet recorded, and
    the message is gone with the worker. The event is left claimed; once the claim's
    lease runs out the sweep queues it again, and the repeat is a no-op."""
    configure(sandbox, completion_delay=0.1)
    payout = pay(enigmapay)
    wait_until(lambda: sandbox.sandbox("enigmapay").transactions[int(payout.external_id)].status == "Completed")
    real_finish, died = callback_services._finish, threading.Event()

    def die_once(*args, **kwargs):
        if not died.is_set():
            died.set()
            raise SystemExit("worker killed")  # not an Exception: nothing in the task catches it
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(callback_services, "_finish", die_once)
    deliver(live_server, enigmapay, callback_body(payout))
    wait_until(died.is_set, timeout=15)
    event = WebhookEvent.objects.get(connection=enigmapay)
    wait_until(lambda: Transaction.objects.get(pk=payout.pk).status == Status.SUCCEEDED)
    event.refresh_from_db()
    assert event.processing == Processing.PROCESSING and event.attempts == 1  # claimed, never finished

    assert callbacks_sweep.apply().get() == 0  # a live claim is left alone
    settings.CALLBACK_CLAIM_LEASE_SECONDS = 0
    assert callbacks_sweep.apply().get() == 1
    wait_until(finished(pk=event.pk), timeout=15)
    event.refresh_from_db()
    assert event.processing == Processing.PROCESSED and event.attempts == 2
    assert event.outcome == f"confirmed; {payout.reference} was already succeeded"
    assert len(callback_events(payout)) == 1
