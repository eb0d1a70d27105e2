"""EnKash orders, payments and refunds through the services, against the sandbox."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from payments.models import Status, Transaction
from payments.services.common import Actor
from payments.services.enkash import (
    order_check_status,
    payment_check_status,
    payment_submit,
    refund_check_status,
    refund_totals,
)
from payments.services.refunds import refund_create, refundable_amount
from tests.conftest import arm_fault
from tests.enkash.conftest import inr, new_order, paid_order, payer_pays
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db


def test_an_order_is_recorded_then_created_with_its_checkout_link(sandbox, enkash, actor):
    order = new_order(enkash, actor)
    assert order.status == Status.PENDING and order.raw_status == "CREATED"
    assert order.external_id == order.reference.replace("-", "")
    detail = order.enkash_order
    assert detail.enkash_order_id.startswith("EKO") and "/pay/checkout/" in detail.checkout_url
    assert detail.customer_phone == "9876543210" and detail.customer_email == "asha@example.com"
    sent = [r for r in sandbox.sandbox("enkash").received if r.path == "/api/v0/orders"][-1]
    assert f"/callbacks/enkash/{enkash.callback_token}/".encode() in sent.body  # Paydesk's own notify URL
    notes = [e.note for e in order.events.all()]
    assert notes[0].startswith("Order recorded") and "EnKash created the order" in notes[1]


def test_bad_order_input_is_refused_by_field_and_nothing_is_stored(enkash, actor):
    with pytest.raises(ValidationError) as e:
        new_order(enkash, actor, amount="12,5", customer_phone="12345", return_url="ftp://x", customer_first_name="")
    assert set(e.value.message_dict) == {"amount", "customer_phone", "return_url", "customer_first_name"}
    with pytest.raises(ValidationError) as e:
        new_order(enkash, actor, amount="600000.00")
    assert "500000.00" in e.value.message_dict["amount"][0]
    assert not Transaction.objects.exists()


def test_a_lost_create_answer_is_unknown_and_the_sync_settles_it_without_creating_again(sandbox, enkash, actor):
    arm_fault(sandbox, "enkash", "create_order", "timeout", delay=3.0, act=True)
    order = new_order(enkash, actor)
    assert order.status == Status.UNKNOWN and order.next_sync_at is not None
    order_check_status(order=order, actor=Actor.sync())
    order.refresh_from_db()
    # The sandbox made it before timing out: found by its id, never sent twice.
    assert order.status == Status.PENDING and order.raw_status == "CREATED"
    creates = [r for r in sandbox.sandbox("enkash").received if r.path == "/api/v0/orders"]
    assert len(creates) == 1


def test_a_create_that_never_arrived_fails_when_enkash_has_no_such_order(sandbox, enkash, actor):
    arm_fault(sandbox, "enkash", "create_order", "503", act=False)
    order = new_order(enkash, actor)
    assert order.status == Status.UNKNOWN
    order_check_status(order=order, actor=Actor.sync())
    order.refresh_from_db()
    assert order.status == Status.FAILED and order.raw_status == "order_not_found"


def test_a_payment_made_on_the_checkout_is_recorded_when_the_order_is_read(sandbox, enkash, actor):
    order, payment = paid_order(sandbox, enkash, actor)
    order.refresh_from_db()
    assert order.status == Status.SUCCEEDED and order.raw_status == "PAID" and order.next_sync_at is None
    assert payment.parent == order and payment.external_id.startswith("EKT") and payment.amount == inr("1000.00")
    assert payment.enkash_payment.payment_mode == "UPI" and payment.enkash_payment.bank_reference


def test_upi_collect_goes_pending_then_the_sync_sees_it_succeed(sandbox, enkash, actor):
    order = new_order(enkash, actor)
    payment = payment_submit(order=order, actor=actor, payment_mode="UPI", vpa="success@enkash")
    assert payment.status == Status.PENDING and payment.raw_status == "PENDING_WITH_BANK"
    with pytest.raises(ValidationError):  # a second one while it is pending
        payment_submit(order=order, actor=actor, payment_mode="UPI", vpa="success@enkash")
    wait_for(lambda: payment_check_status(payment=payment, actor=Actor.sync()).status == Status.SUCCEEDED, 5)
    order_check_status(order=order, actor=Actor.sync())
    order.refresh_from_db()
    assert order.status == Status.SUCCEEDED
    assert order.children.filter(kind="payment").count() == 1  # not recorded twice


def test_net_banking_decline_is_a_failed_payment_with_the_reason(sandbox, enkash, actor):
    order = new_order(enkash, actor)
    payment = payment_submit(order=order, actor=actor, payment_mode="NET_BANKING", bank_code="ICIC")
    wait_for(lambda: payment_check_status(payment=payment, actor=Actor.sync()).status == Status.FAILED, 5)
    assert payment.last_error


def test_payment_detail_is_checked_before_anything_is_sent(sandbox, enkash, actor):
    order = new_order(enkash, actor)
    for fields, bad in (({"payment_mode": "CREDIT_CARD"}, "payment_mode"), ({"payment_mode": "UPI", "vpa": "nope"}, "vpa"),
                        ({"payment_mode": "NET_BANKING", "bank_code": "SBIN", "ifsc": "XX"}, "ifsc")):
        with pytest.raises(ValidationError) as e:
            payment_submit(order=order, actor=actor, **fields)
        assert bad in e.value.message_dict
    assert not order.children.exists()


def test_a_lost_submit_answer_is_unknown_and_found_among_the_orders_attempts(sandbox, enkash, actor):
    order = new_order(enkash, actor)
    arm_fault(sandbox, "enkash", "submit_payment_detail", "dropped")
    payment = payment_submit(order=order, actor=actor, payment_mode="UPI", vpa="pending@enkash")
    assert payment.status == Status.UNKNOWN and not payment.external_id
    payment_check_status(payment=payment, actor=Actor.sync())
    assert payment.status == Status.PENDING and payment.external_id.startswith("EKT")
    submits = [r for r in sandbox.sandbox("enkash").received if r.path == "/api/v0/payment/submit"]
    assert len(submits) == 1


def test_partial_refunds_up_to_the_captured_amount_and_never_beyond(sandbox, enkash, actor):
    _, payment = paid_order(sandbox, enkash, actor, amount="1000.00")
    first = refund_create(payment=payment, amount="400.00", actor=actor)
    second = refund_create(payment=payment, amount="350.50", actor=actor)
    assert first.status == second.status == Status.PENDING
    assert first.enkash_refund.request_id != second.enkash_refund.request_id
    assert refundable_amount(payment) == inr("249.50")
    with pytest.raises(ValidationError) as e:
        refund_create(payment=payment, amount="249.51", actor=actor)
    assert "249.50" in e.value.message_dict["amount"][0]
    wait_for(lambda: refund_check_status(refund=first, actor=Actor.sync()).status == Status.SUCCEEDED, 5)
    refund_check_status(refund=second, actor=Actor.sync())
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and payment.raw_status == "PARTIALLY_REFUNDED"
    assert refund_totals(payment) == {"refunded": inr("750.50"), "in_progress": inr("0"), "remaining": inr("249.50")}
    last = refund_create(payment=payment, amount=None, actor=actor)  # all that is left
    assert last.amount == inr("249.50")
    wait_for(lambda: refund_check_status(refund=last, actor=Actor.sync()).status == Status.SUCCEEDED, 5)
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED
    assert payment.children.filter(kind="refund").count() == 3


def test_the_same_idempotency_token_is_the_same_refund(sandbox, enkash, actor):
    _, payment = paid_order(sandbox, enkash, actor)
    a = refund_create(payment=payment, amount="100.00", actor=actor, idempotency_token="key-1")
    b = refund_create(payment=payment, amount="100.00", actor=actor, idempotency_token="key-1")
    assert a.pk == b.pk and payment.children.filter(kind="refund").count() == 1


def test_a_lost_refund_answer_is_resolved_with_the_same_request_id(sandbox, enkash, actor):
    _, payment = paid_order(sandbox, enkash, actor)
    arm_fault(sandbox, "enkash", "refund", "503", act=False)  # 503 proves nothing happened: failed
    failed = refund_create(payment=payment, amount="100.00", actor=actor)
    assert failed.status == Status.FAILED
    arm_fault(sandbox, "enkash", "refund", "dropped", act=False)
    refund = refund_create(payment=payment, amount="100.00", actor=actor)
    assert refund.status == Status.UNKNOWN
    refund_check_status(refund=refund, actor=Actor.sync())
    assert refund.status == Status.PENDING and refund.external_id.startswith("EKR")
    sent = [r for r in sandbox.sandbox("enkash").received if r.path.endswith("/refund")]
    assert len({r.body for r in sent[-2:]}) == 1  # the very same request, same requestId
    assert refundable_amount(payment) == inr("900.00")


def test_a_failed_payment_cannot_be_refunded(sandbox, enkash, actor):
    order = new_order(enkash, actor, amount="1.01")
    payer_pays(sandbox, order)
    order_check_status(order=order, actor=Actor.sync())
    payment = order.children.get(kind="payment")
    assert payment.status == Status.FAILED
    with pytest.raises(ValidationError):
        refund_create(payment=payment, amount="1.00", actor=actor)
