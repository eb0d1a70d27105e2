"""EnKash notifies: stored raw, confirmed with order_status before anything changes, the
order's payments recorded from EnKash's own answer; a forged notify changes nothing and
the event says why."""

from __future__ import annotations

import json

import pytest

from payments.callbacks.services import callback_apply
from payments.models import Status, Transaction, TransactionEvent
from providers.models import WebhookEvent
from tests.enkash.conftest import new_order, payer_pays
from tests.helpers import wait_for

Processing = WebhookEvent.Processing


def notify_body(order: Transaction, **changes) -> dict:
    body = {"orderId": order.external_id, "enkashOrderId": order.enkash_order.enkash_order_id,
            "transactionId": "EKT000000009999", "amount": f"{order.amount:.2f}", "currency": "INR",
            "paymentMode": "UPI", "status": "SUCCESS", "orderStatus": "PAID", "transactionStatus": "SUCCESS",
            "maskedCardNumber": None, "bankRefNo": "000000000001", "errorMessage": None,
            "timestamp": "2026-12-02T10:00:00+05:30", "checksum": "0" * 64}
    return {**body, **changes}


def deliver(client, connection, body: dict) -> WebhookEvent:
    answer = client.post(connection.callback_path(), data=json.dumps(body), content_type="application/json")
    assert answer.status_code == 200
    return WebhookEvent.objects.filter(connection=connection).latest("received_at")


@pytest.mark.django_db
def test_a_forged_paid_notify_changes_nothing_and_says_why(client, sandbox, enkash, actor):
    order = new_order(enkash, actor)
    event = deliver(client, enkash, notify_body(order))
    verdict = callback_apply(event_id=event.pk)
    order.refresh_from_db()
    assert order.status == Status.PENDING and not order.children.exists()
    assert verdict.processing == Processing.IGNORED and not verdict.trusted
    event.refresh_from_db()
    assert event.outcome == "not confirmed: the callback says PAID, EnKash says CREATED"
    assert not TransactionEvent.objects.filter(source=TransactionEvent.Source.CALLBACK).exists()


@pytest.mark.django_db
def test_a_notify_with_another_amount_changes_nothing(client, sandbox, enkash, actor):
    order = new_order(enkash, actor)
    payer_pays(sandbox, order)
    event = deliver(client, enkash, notify_body(order, amount="1.00"))
    callback_apply(event_id=event.pk)
    order.refresh_from_db()
    event.refresh_from_db()
    assert order.status == Status.PENDING and not order.children.exists()
    assert event.outcome.startswith("not confirmed: the callback says 1.00 INR, EnKash says 1000.00 INR")


@pytest.mark.django_db
def test_a_notify_for_an_order_of_another_connection_is_an_unknown_transaction(client, sandbox, enkash, actor):
    event = deliver(client, enkash, {**notify_body(new_order(enkash, actor)), "orderId": "PDSOMEONEELSE"})
    callback_apply(event_id=event.pk)
    event.refresh_from_db()
    assert event.processing == Processing.IGNORED and event.outcome.startswith("unknown transaction")


@pytest.mark.django_db(transaction=True)
def test_the_sandboxs_own_notify_pays_the_order_and_records_its_payment(sandbox, enkash, actor, live_server,
                                                                      settings):
    settings.PAYDESK_PUBLIC_URL = live_server.url
    order = new_order(enkash, actor)
    payer_pays(sandbox, order)
    event = wait_for(lambda: WebhookEvent.objects.filter(connection=enkash).first(), 10)
    verdict = callback_apply(event_id=event.pk)
    assert verdict.processing == Processing.PROCESSED and verdict.trusted
    order.refresh_from_db()
    assert order.status == Status.SUCCEEDED and order.raw_status == "PAID"
    payment = order.children.get(kind="payment")
    assert payment.status == Status.SUCCEEDED and payment.external_id.startswith("EKT")
    [change] = order.events.filter(source=TransactionEvent.Source.CALLBACK)
    assert change.actor == f"EnKash callback #{event.pk}" and (change.from_status, change.to_status) == (
        "pending", "succeeded")
    # Replayed: nothing moves twice, nothing recorded twice.
    WebhookEvent.objects.filter(pk=event.pk).update(processing=Processing.PENDING)
    again = callback_apply(event_id=event.pk)
    assert again.outcome == f"confirmed; {order.reference} was already succeeded"
    assert order.children.filter(kind="payment").count() == 1
