"""Re-running a callback from admin and from the API (owners and managers): it is
confirmed with the provider again and applied once, however often it is re-run."""

from __future__ import annotations

import pytest
import requests
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError
from django.utils import timezone

from accounts.models import Role
from config.celery import app
from payments.models import Status, Transaction, TransactionEvent
from payments.services.common import Actor
from payments.services.payouts import payout_create
from providers.enigmapay import testdata, wire
from providers.models import WebhookEvent
from tests.api.conftest import assert_error, key_client, session_client, webhook_event
from tests.factories import ConnectionFactory, MerchantFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]

Processing = WebhookEvent.Processing


@pytest.fixture(scope="module")
def celery_worker():
    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


@pytest.fixture
def merchant_a():
    return MerchantFactory(name="Alpha Bazaar", slug="alpha")


@pytest.fixture
def merchant_b():
    return MerchantFactory(name="Beta Books", slug="beta")


def settled(pk: int):
    def check():
        try:
            return WebhookEvent.objects.filter(pk=pk).exclude(
                processing__in=[Processing.PENDING, Processing.PROCESSING]).first()
        except OperationalError:  # SQLite's shared test database, locked by the worker
            return None
    return check


def payout_with_a_stored_callback(connection, sandbox, live_server):
    """A completed payout whose callback was stored while no worker ran (its task lost)."""
    requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enigmapay", "completion_delay": 0.1},
                  timeout=5).raise_for_status()
    payout = payout_create(connection=connection, actor=Actor.system(), username="ayse.yilmaz",
                           customer_iban=testdata.CUSTOMER_IBAN_OK, customer_name="Ayşe Yılmaz", amount="150.00")
    wait_for(lambda: sandbox.sandbox("enigmapay").transactions[int(payout.external_id)].status == "Completed")
    body = {"transaction_id": int(payout.external_id), "status": "Completed", "amount": payout.amount}
    from providers.callbacks import webhook_event_receive

    receipt = webhook_event_receive(connection=connection, headers={}, body=wire.dumps(body).encode(),
                                    remote_addr=None)
    WebhookEvent.objects.filter(pk=receipt.event_id).update(processing=Processing.FAILED, error="earlier failure")
    return payout, WebhookEvent.objects.get(pk=receipt.event_id)


def test_a_manager_re_runs_a_failed_callback_through_the_api_and_it_applies_once(
        celery_worker, enigmapay, sandbox, live_server, members):
    payout, event = payout_with_a_stored_callback(enigmapay, sandbox, live_server)
    client = key_client(enigmapay.merchant, Role.MANAGER)
    answer = client.post(f"/api/v1/webhook-events/{event.pk}/reprocess/", content_type="application/json")
    assert answer.status_code == 202
    assert answer.json()["id"] == event.pk and answer.json()["error"] == ""
    done = wait_for(settled(event.pk), timeout=15)
    assert done.processing == Processing.PROCESSED and done.attempts == 1
    assert done.outcome == f"applied to {payout.reference}: pending → succeeded"
    assert Transaction.objects.get(pk=payout.pk).status == Status.SUCCEEDED

    again = client.post(f"/api/v1/webhook-events/{event.pk}/reprocess/", content_type="application/json")
    assert again.status_code == 202
    done = wait_for(lambda: (e := settled(event.pk)()) and e.attempts == 2 and e, timeout=15)
    assert done.outcome == f"confirmed; {payout.reference} was already succeeded"
    assert TransactionEvent.objects.filter(transaction=payout, source="callback").count() == 1
    shown = client.get(f"/api/v1/webhook-events/{event.pk}/").json()
    assert (shown["attempts"], shown["outcome"]) == (2, done.outcome)


def test_staff_re_run_callbacks_from_admin(celery_worker, enigmapay, sandbox, live_server, admin_client):
    payout, event = payout_with_a_stored_callback(enigmapay, sandbox, live_server)
    page = admin_client.post("/admin/providers/webhookevent/",
                             {"action": "rerun", "_selected_action": [event.pk]}, follow=True)
    assert "Queued 1 callback(s) to run again" in page.content.decode()
    done = wait_for(settled(event.pk), timeout=15)
    assert done.processing == Processing.PROCESSED
    assert Transaction.objects.get(pk=payout.pk).status == Status.SUCCEEDED
    listing = admin_client.get("/admin/providers/webhookevent/").content.decode()
    assert done.outcome in listing


@pytest.mark.django_db
def test_viewers_cannot_re_run_and_other_merchants_get_404(merchant_a, merchant_b):
    event = webhook_event(ConnectionFactory(merchant=merchant_a))
    url = f"/api/v1/webhook-events/{event.pk}/reprocess/"
    assert_error(key_client(merchant_a, Role.VIEWER).post(url, content_type="application/json"), 403,
                 "permission_denied")
    assert_error(session_client(merchant_b, Role.OWNER).post(url, content_type="application/json"), 404,
                 "not_found")
    assert WebhookEvent.objects.get(pk=event.pk).processing == Processing.PENDING


@pytest.mark.django_db
def test_a_callback_being_processed_is_not_re_run(merchant_a):
    event = webhook_event(ConnectionFactory(merchant=merchant_a))
    WebhookEvent.objects.filter(pk=event.pk).update(processing=Processing.PROCESSING, claimed_at=timezone.now())
    url = f"/api/v1/webhook-events/{event.pk}/reprocess/"
    answer = key_client(merchant_a, Role.MANAGER).post(url, content_type="application/json")
    assert_error(answer, 409, "callback_busy")
    # A claim older than the lease belongs to a worker that died: it may be re-run.
    WebhookEvent.objects.filter(pk=event.pk).update(claimed_at=timezone.now() - timezone.timedelta(hours=1))
    assert key_client(merchant_a, Role.MANAGER).post(url, content_type="application/json").status_code == 202


