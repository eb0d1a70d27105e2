"""The hook the customer's checkout calls after finalize-transaction: the contract terms
are recorded and shown only once verify-transaction says Valid. The customer's side is
done with the real client against the sandbox (send_otp → access token → authorize →
transaction OTP → finalize), so what is verified is a real finalized purchase."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.models import Status, Transaction
from payments.services.common import Actor
from payments.services.vospay import vospay_order_authorized, vospay_order_finalized, vospay_order_verify
from payments.sync.registry import syncer_for
from providers.base.errors import ProviderUnavailable
from tests.conftest import arm_fault
from tests.helpers import requests_to
from tests.vospay.support import customer_authorizes, customer_finalizes, make_order

pytestmark = pytest.mark.django_db


def test_finalized_and_verified_records_the_contract(sandbox, vospay):
    order = make_order(vospay)
    checkout = customer_finalizes(sandbox, order, plan_id="2")
    order = vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id,
                                   plan=checkout.plan, installment_id="2", actor=Actor.system())
    detail = order.vospay_order
    detail.refresh_from_db()
    assert order.external_id == checkout.authorized.transaction_id
    assert (detail.installment_id, detail.period, detail.interest_rate) == ("2", 6, Decimal("0.03000"))
    assert detail.monthly_payment == Decimal("5167.17")  # 30,100 x 1.03 / 6
    assert detail.verified_at is not None and detail.finalized_at is not None
    assert (order.status, order.raw_status, detail.contract_status) == (Status.PENDING, "Pending", "Pending")
    assert order.next_sync_at is not None  # Pending: the sync follows it until the contract settles
    notes = [e.note for e in order.events.all()]
    assert "The customer finalized: 6 months at 5,167.17 IDR a month (plan 2). Verifying with Vospay." in notes
    assert "Vospay verified the transaction: the contract exists (Pending)." in notes
    assert requests_to(sandbox, "vospay", "/verify-transaction") == 1


def test_an_authorized_but_not_finalized_order_is_not_verified(sandbox, vospay):
    order = make_order(vospay)
    _, authorized = customer_authorizes(sandbox, order)
    vospay_order_authorized(order=order, transaction_id=authorized.transaction_id, actor=Actor.system())
    assert order.next_sync_at is not None  # now there is something at Vospay to ask about
    order = vospay_order_verify(order=order, actor=Actor.sync())
    detail = order.vospay_order
    detail.refresh_from_db()
    assert order.status == Status.PENDING and detail.verified_at is None and not detail.has_contract
    assert order.events.last().note == "Vospay does not verify a finalized purchase for this order yet."


def test_a_hook_called_with_a_forged_transaction_id_records_no_verification(sandbox, vospay):
    order = make_order(vospay)
    checkout = customer_finalizes(sandbox, order)
    other = make_order(vospay)  # another order's id with this transaction: Vospay says Invalid
    other = vospay_order_finalized(order=other, transaction_id=checkout.authorized.transaction_id,
                                   plan=checkout.plan, actor=Actor.system())
    other.vospay_order.refresh_from_db()
    assert other.vospay_order.verified_at is None and other.status == Status.PENDING
    assert other.raw_status == ""


def test_verify_unavailable_leaves_the_order_due_for_the_sync_which_verifies_it(sandbox, vospay):
    order = make_order(vospay)
    checkout = customer_finalizes(sandbox, order)
    arm_fault(sandbox, "vospay", "verify_transaction", "503", count=10)
    order = vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id,
                                   plan=checkout.plan, actor=Actor.system())
    order.vospay_order.refresh_from_db()
    assert order.vospay_order.verified_at is None and order.next_sync_at is not None
    assert "Paydesk will ask again" in order.events.last().note
    with pytest.raises(ProviderUnavailable):
        syncer_for(order)(Transaction.objects.get(pk=order.pk))
    disarm(sandbox)
    outcome = syncer_for(order)(Transaction.objects.get(pk=order.pk))
    order.refresh_from_db()
    order.vospay_order.refresh_from_db()
    assert outcome.status == Status.PENDING and order.vospay_order.verified_at is not None
    assert order.raw_status == "Pending"


def test_an_unknown_finalize_is_resolved_by_the_sync(sandbox, vospay):
    """The checkout lost finalize's answer (issue 10 marks the order unknown): verify says."""
    order = make_order(vospay)
    checkout = customer_finalizes(sandbox, order)
    Transaction.objects.filter(pk=order.pk).update(status=Status.UNKNOWN,
                                                   external_id=checkout.authorized.transaction_id)
    outcome = syncer_for(order)(Transaction.objects.get(pk=order.pk))
    order.refresh_from_db()
    assert (outcome.status, outcome.changed, order.raw_status) == (Status.PENDING, True, "Pending")
    assert order.vospay_order.verified_at is not None

    lost = make_order(vospay)  # authorized, never finalized: nothing moved
    _, authorized = customer_authorizes(sandbox, lost)
    Transaction.objects.filter(pk=lost.pk).update(status=Status.UNKNOWN, external_id=authorized.transaction_id)
    outcome = syncer_for(lost)(Transaction.objects.get(pk=lost.pk))
    lost.refresh_from_db()
    assert (outcome.status, lost.raw_status) == (Status.PENDING, "Invalid")
    assert "nothing moved" in lost.events.last().note


def test_an_order_not_at_checkout_is_never_due(vospay):
    order = make_order(vospay)
    assert order.next_sync_at is None
    Transaction.objects.filter(pk=order.pk).update(next_sync_at="2026-01-01T00:00:00Z")
    outcome = syncer_for(order)(Transaction.objects.get(pk=order.pk))
    order.refresh_from_db()
    assert outcome.note == "The customer has not reached Vospay yet." and order.next_sync_at is None


def disarm(sandbox) -> None:
    import requests

    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)


def test_the_notify_url_for_the_checkout_is_the_connections_callback_url(vospay, settings):
    from payments.services.vospay import vospay_notify_url

    settings.PAYDESK_PUBLIC_URL = "https://paydesk.example/"
    assert vospay_notify_url(vospay) == f"https://paydesk.example/callbacks/vospay/{vospay.callback_token}/"


def test_the_hook_called_twice_verifies_again_and_records_once(sandbox, vospay):
    order = make_order(vospay)
    checkout = customer_finalizes(sandbox, order)
    for _ in range(2):
        order = vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id,
                                       plan=checkout.plan, actor=Actor.system())
    notes = [e.note for e in order.events.all()]
    assert sum(n.startswith("The customer finalized") for n in notes) == 1
    assert sum(n.startswith("Vospay verified") for n in notes) == 1


def test_a_purchase_finalized_after_a_cancel_is_recorded_and_flagged(sandbox, vospay):
    from payments.services.vospay import vospay_order_cancel

    order = make_order(vospay)
    checkout = customer_finalizes(sandbox, order)  # the customer was already at Vospay...
    vospay_order_cancel(order=order, actor=Actor.system())  # ...when the merchant cancelled
    order = vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id,
                                   plan=checkout.plan, actor=Actor.system())
    order.vospay_order.refresh_from_db()
    assert order.status == Status.CANCELLED and order.vospay_order.verified_at is not None
    assert order.needs_attention_since is not None
    assert "although the order is cancelled in Paydesk" in order.attention_reason


def test_invalid_moments_after_a_lost_finalize_keeps_the_order_unknown(sandbox, vospay):
    """A merchant's Verify or a "sync now" right after the checkout lost finalize's answer:
    "Invalid" may be that finalize still on its way, so the order stays unknown and keeps
    its mark (no second checkout can start). Past every timeout, Invalid frees it."""
    from datetime import timedelta

    from django.utils import timezone

    from payments.models import VospayOrder
    from payments.services.vospay import finalize_settled_after

    lost = make_order(vospay)
    _, authorized = customer_authorizes(sandbox, lost)
    Transaction.objects.filter(pk=lost.pk).update(status=Status.UNKNOWN, external_id=authorized.transaction_id)
    VospayOrder.objects.filter(transaction=lost).update(finalize_sent_at=timezone.now())
    outcome = syncer_for(lost)(Transaction.objects.get(pk=lost.pk))
    assert outcome.status == Status.UNKNOWN
    assert VospayOrder.objects.get(transaction=lost).finalize_sent_at is not None

    long_ago = timezone.now() - finalize_settled_after() - timedelta(seconds=1)
    VospayOrder.objects.filter(transaction=lost).update(finalize_sent_at=long_ago)
    outcome = syncer_for(lost)(Transaction.objects.get(pk=lost.pk))
    assert outcome.status == Status.PENDING
    assert VospayOrder.objects.get(transaction=lost).finalize_sent_at is None
    assert "nothing moved" in lost.events.last().note


def test_the_settled_window_outlasts_the_provider_timeouts(settings):
    from payments.services.vospay import finalize_settled_after

    settings.PROVIDER_READ_TIMEOUT = 60
    assert finalize_settled_after().total_seconds() > 60 + settings.PROVIDER_CONNECT_TIMEOUT
