"""Vospay's notify, applied like EnigmaPay's callbacks: stored raw, then confirmed with
verify-transaction before anything changes. The real notify the sandbox sends after
the multifinance approves moves the order's contract to Approved; a forged one (another
transaction, another amount, another connection's order, an unknown id) changes nothing
and the event says why."""

from __future__ import annotations

import json

import pytest

from payments.callbacks.services import callback_apply
from payments.models import Status, Transaction
from payments.services.common import Actor
from payments.services.vospay import vospay_order_finalized
from providers.callbacks import webhook_event_receive
from providers.models import WebhookEvent
from providers.services import connection_upsert
from providers.vospay.sandbox import DEMO_CREDENTIALS
from tests.factories import MerchantFactory
from tests.vospay.support import customer_finalizes, make_order

pytestmark = pytest.mark.django_db

Processing = WebhookEvent.Processing


def stored(connection, body: bytes | dict) -> WebhookEvent:
    """As the callback URL stores it (raw, encrypted, deduplicated)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    receipt = webhook_event_receive(connection=connection, headers={"Content-Type": "application/json"},
                                    body=raw, remote_addr="127.0.0.1")
    return WebhookEvent.objects.get(pk=receipt.event_id)


def finalized_order(sandbox, connection, receiver):
    sandbox.sandbox("vospay").configure({"completion_delay": 0.2})
    order = make_order(connection)
    checkout = customer_finalizes(sandbox, order, notify_url=receiver.url)
    order = vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id,
                                   plan=checkout.plan, actor=Actor.system())
    receiver.wait(1, timeout=5)
    return order, receiver.bodies[0]


def test_the_sandbox_notify_confirmed_by_verify_approves_the_contract(sandbox, vospay, callback_receiver):
    order, body = finalized_order(sandbox, vospay, callback_receiver)
    assert order.status == Status.PENDING
    event = stored(vospay, body)
    verdict = callback_apply(event_id=event.pk)
    order.refresh_from_db()
    assert verdict.processing == Processing.PROCESSED and verdict.trusted
    assert verdict.outcome == f"applied to {order.reference}: pending → succeeded"
    assert (order.status, order.raw_status, order.vospay_order.contract_status) == (
        Status.SUCCEEDED, "Approved", "Approved")
    assert order.next_sync_at is None
    last = order.events.last()
    assert (last.source, last.raw_status) == ("callback", "Approved")
    # A replay of the same body is the same stored event: nothing to apply again.
    assert stored(vospay, body).pk == event.pk and callback_apply(event_id=event.pk) is None
    # The same news in other bytes (a re-sent notify) is confirmed and changes nothing.
    again = callback_apply(event_id=stored(vospay, forged(body, timestamp="2026-12-02T09:00:00.000Z")).pk)
    assert again.outcome == f"confirmed; {order.reference} was already succeeded"
    assert order.events.filter(source="callback").count() == 1


def forged(body: bytes, **changes) -> dict:
    data = json.loads(body)
    data.update(changes)
    return data


@pytest.mark.parametrize(("changes", "outcome"), [
    ({"transactionID": "000000000000000000000000"},
     "unknown transaction: no Vospay transaction #000000000000000000000000 on this connection"),
    ({"grossAmount": 99999999}, "not confirmed: the callback says Approved, Vospay says Invalid (no finalized purchase"),
    ({"orderID": "PD-NOTTHISONE"}, "not confirmed: the callback says Approved, Vospay says Invalid (no finalized purchase"),
    ({"status": "Cancelled"}, "not confirmed: the callback says Cancelled, Vospay says Valid (the purchase stands)"),
    ({"status": "Refund"}, "not confirmed: the callback says Refund, Vospay says Valid (the purchase stands)"),
])
def test_a_forged_notify_changes_nothing_and_says_why(sandbox, vospay, callback_receiver, changes, outcome):
    order, body = finalized_order(sandbox, vospay, callback_receiver)
    verdict = callback_apply(event_id=stored(vospay, forged(body, **changes)).pk)
    order.refresh_from_db()
    assert order.status == Status.PENDING and order.raw_status == "Pending"
    assert verdict.processing == Processing.IGNORED
    assert verdict.outcome.startswith(outcome), verdict.outcome


def test_another_connections_order_is_unknown_here(sandbox, vospay, callback_receiver):
    order, body = finalized_order(sandbox, vospay, callback_receiver)
    stranger = MerchantFactory()
    theirs, _ = connection_upsert(merchant=stranger, provider="vospay", mode="test",
                                  base_url=sandbox.base_url("vospay"), credentials=dict(DEMO_CREDENTIALS))
    verdict = callback_apply(event_id=stored(theirs, body).pk)
    order.refresh_from_db()
    assert verdict.processing == Processing.IGNORED and verdict.outcome.startswith("unknown transaction")
    assert order.status == Status.PENDING


def test_an_unreadable_notify_fails_and_changes_nothing(vospay):
    verdict = callback_apply(event_id=stored(vospay, b'{"hello": "world"}').pk)
    assert verdict.processing == Processing.FAILED
    assert verdict.outcome == "unreadable: not a callback Paydesk can read"
    assert not Transaction.objects.exists()
