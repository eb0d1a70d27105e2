"""The installment checkout end to end through Django's test client against the running
Vospay sandbox: order link → sign in → account → plans → transaction OTP → finalize →
verified contract; and every guard: a second finalize, cancelled, expired, a changed
amount, locked and limited accounts, wrong and expired codes, a lost finalize answer,
upstream faults, another merchant's customer."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from payments.models import Status, Transaction, VospayOrder
from payments.services.vospay import CHECKOUT_LINK_DAYS
from providers.vospay import sandbox as vs
from tests.conftest import arm_fault
from tests.helpers import requests_to
from tests.selfservice.conftest import VOSPAY_OTP, html, vospay_signed_in
from tests.vospay.support import make_order

pytestmark = pytest.mark.django_db


def url(order, step: str = "") -> str:
    base = f"/me/{order.merchant.slug}/checkout/{order.vospay_order.checkout_token}/"
    return base + (f"{step}/" if step else "")


def finalizes(sandbox) -> int:
    return requests_to(sandbox, "vospay", "/finalize-transaction")


def to_confirm(client, order, *, phone=vs.PHONE_SITI, account="0", plan="2"):
    """Signed in with ``phone``, the account and plan chosen, the code texted."""
    vospay_signed_in(client, phone=phone)
    response = client.post(url(order, "account"), {"account": account})
    assert response.status_code == 302 and response["Location"] == url(order, "plan"), html(response)[:3000]
    response = client.post(url(order, "plan"), {"plan": plan})
    assert response.status_code == 302 and response["Location"] == url(order, "confirm"), html(response)[:3000]
    return response


def test_the_whole_checkout_makes_a_verified_contract(client, vospay, sandbox):
    order = make_order(vospay)
    page = html(client.get(url(order)))
    assert "Pay with Vospay" in page and "30,100 IDR" in page and "Headphones" in page
    # signed out: the first step sends the customer to sign in and back
    response = client.get(url(order, "account"))
    assert response.status_code == 302 and "/vospay/signin/?next=" in response["Location"]
    vospay_signed_in(client, next_path=url(order, "account"))
    page = html(client.get(url(order, "account")))
    assert "MPM · account ending 0001" in page and "Maybank · account ending 0002" in page
    assert "2340010000000001" not in page  # the full account number is personal data

    response = client.post(url(order, "account"), {"account": "0"})
    assert response["Location"] == url(order, "plan")
    order.refresh_from_db()
    assert order.external_id and order.status == Status.PENDING
    page = html(client.get(url(order, "plan")))
    for months, monthly in (("3", "10,234.00"), ("6", "5,167.17"), ("9", "3,494.94"), ("12", "2,658.83")):
        assert f"{months} months" in page and f"{monthly} IDR / month" in page
    assert "3% flat interest" in page and "49,875,000 IDR" in page  # rate, available credit

    response = client.post(url(order, "plan"), {"plan": "2"})
    assert response["Location"] == url(order, "confirm")
    page = html(client.get(url(order, "confirm")))
    assert "6 months × 5,167.17 IDR" in page and "+628110000002" in page
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    assert response.status_code == 302 and response["Location"] == url(order) + "?paid=1"
    assert finalizes(sandbox) == 1

    order.refresh_from_db()
    detail = order.vospay_order
    assert detail.verified_at is not None and detail.finalized_at is not None
    assert (detail.installment_id, detail.period, detail.monthly_payment) == ("2", 6, Decimal("5167.17"))
    assert (order.status, order.raw_status) == (Status.PENDING, "Pending")
    contract = next(c for c in sandbox.sandbox("vospay").contract_records.values()
                    if c.transaction_id == order.external_id)
    assert contract.notify_url.endswith(f"/callbacks/vospay/{vospay.callback_token}/")
    page = html(client.get(url(order) + "?paid=1"))
    assert "Thank you, it's done" in page and "6 months at 5,167.17 IDR a month" in page
    notes = [e.note for e in order.events.all()]
    assert any("finalize sent to Vospay" in n for n in notes)
    assert "Vospay verified the transaction: the contract exists (Pending)." in notes
    # the access token never reached a page or the session in clear
    assert "accessToken" not in page and "eyJ" not in repr(dict(client.session.items()))


def test_a_second_finalize_is_refused_before_any_call(vospay, sandbox):
    order = make_order(vospay)
    first, second = Client(), Client()
    to_confirm(first, order)
    from accounts.models import OtpThrottle

    OtpThrottle.objects.all().delete()  # as if a minute passed: the second device signs in too
    to_confirm(second, order)  # a second tab / device, same customer
    assert second.post(url(order, "confirm"), {"code": VOSPAY_OTP}).status_code == 302
    calls = len(sandbox.sandbox("vospay").received)
    response = first.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    assert response.status_code == 409 and "already paid in installments" in html(response)
    assert len(sandbox.sandbox("vospay").received) == calls  # not even the code went to Vospay
    assert finalizes(sandbox) == 1
    # and every step refuses from now on
    for step in ("account", "plan", "confirm"):
        assert "cannot be paid twice" in html(first.get(url(order, step)))


def test_finalize_in_flight_blocks_the_other_tab(vospay, sandbox):
    """The mark is committed before the call: a second confirm while the first waits is refused."""
    order = make_order(vospay)
    client = Client()
    to_confirm(client, order)
    VospayOrder.objects.filter(transaction=order).update(finalize_sent_at="2026-01-01T00:00:00Z")
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    assert response.status_code == 409 and "being paid right now" in html(response)
    assert finalizes(sandbox) == 0


def test_a_cancelled_order_cannot_be_paid(client, vospay, sandbox):
    from payments.services.common import Actor
    from payments.services.vospay import vospay_order_cancel

    order = make_order(vospay)
    vospay_order_cancel(order=order, actor=Actor.system())
    assert "cancelled this order" in html(client.get(url(order)))
    vospay_signed_in(client)
    before = len(sandbox.sandbox("vospay").received)
    response = client.post(url(order, "account"), {"account": "0"})
    assert response.status_code == 409 and "cancelled this order. Nothing will be charged." in html(response)
    assert len(sandbox.sandbox("vospay").received) == before


def test_a_cancel_between_plan_and_confirm_stops_the_finalize(client, vospay, sandbox):
    order = make_order(vospay)
    to_confirm(client, order)
    Transaction.objects.filter(pk=order.pk).update(status=Status.CANCELLED)
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    assert response.status_code == 409 and "cancelled this order" in html(response)
    assert finalizes(sandbox) == 0


def test_an_expired_link_cannot_be_paid(client, vospay, sandbox):
    order = make_order(vospay)
    Transaction.objects.filter(pk=order.pk).update(created_at=order.created_at - timedelta(days=CHECKOUT_LINK_DAYS))
    assert "This checkout link expired on" in html(client.get(url(order)))
    to_confirm_ok = Client()
    vospay_signed_in(to_confirm_ok)
    response = to_confirm_ok.get(url(order, "account"))
    assert response.status_code == 409 and "expired" in html(response)
    assert requests_to(sandbox, "vospay", "/accounts") == 0


def test_the_amount_comes_from_the_order_never_from_the_form(client, vospay, sandbox):
    order = make_order(vospay)
    vospay_signed_in(client)
    client.post(url(order, "account"), {"account": "0", "gross_amount": "1", "amount": "1"})
    client.post(url(order, "plan"), {"plan": "1", "gross_amount": "1"})
    # the order's amount changed after the plan was chosen (a tampered row): refused before finalize
    Transaction.objects.filter(pk=order.pk).update(amount=Decimal("1000"))
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP, "gross_amount": "1000"})
    assert response.status_code == 409 and "changed since you chose your plan" in html(response)
    assert finalizes(sandbox) == 0
    txn = next(iter(t for t in sandbox.sandbox("vospay").transactions.values() if t.order_id == order.reference))
    assert txn.gross == Decimal("30100")  # authorize was sent the stored items, not the form


def test_a_locked_account_gets_its_own_message(client, vospay, sandbox):
    order = make_order(vospay)
    to_confirm(client, order, phone=vs.PHONE_LOCKED)
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    page = html(response)
    assert response.status_code == 402 and "Your Vospay account is locked" in page
    assert "02155512345" in page and "Nothing was charged" in page  # MPM's contact
    order.refresh_from_db()
    assert order.vospay_order.finalize_sent_at is None and not order.vospay_order.has_contract
    assert "Nothing moved" in order.events.last().note


def test_a_limited_account_gets_its_own_message_and_may_retry(client, vospay, sandbox):
    order = make_order(vospay, items=[{"name": "Sofa", "quantity": "1", "unit_price": "250000"}])
    to_confirm(client, order, phone=vs.PHONE_LIMITED)
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    page = html(response)
    assert response.status_code == 402 and "Not enough credit for this order" in page
    assert "100,000 IDR" in page and "255,100 IDR" in page
    assert "Use another account" in page
    order.refresh_from_db()
    assert order.vospay_order.finalize_sent_at is None and order.status == Status.PENDING
    assert client.get(url(order, "account")).status_code == 200  # nothing moved: may try again


def test_a_wrong_code_counts_and_a_good_one_still_pays(client, vospay, sandbox):
    order = make_order(vospay)
    to_confirm(client, order)
    response = client.post(url(order, "confirm"), {"code": "000000"})
    assert "That code is not right. 4 tries left." in html(response)
    assert finalizes(sandbox) == 0
    response = client.post(url(order, "confirm"), {"code": "12x"})
    assert response.status_code == 400 and "The code" in html(response)
    assert client.post(url(order, "confirm"), {"code": VOSPAY_OTP}).status_code == 302
    assert finalizes(sandbox) == 1


def test_five_wrong_codes_block_the_code(client, vospay, sandbox):
    order = make_order(vospay)
    to_confirm(client, order)
    for _ in range(5):
        client.post(url(order, "confirm"), {"code": "000000"})
    tokens = requests_to(sandbox, "vospay", "/authentication")
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    assert response.status_code == 429 and "entered wrongly 5 times" in html(response)
    assert requests_to(sandbox, "vospay", "/authentication") == tokens and finalizes(sandbox) == 0


def test_an_expired_code_is_refused_by_the_guard(client, vospay, sandbox, monkeypatch):
    from accounts.selfservice import otp_guard
    from tests.selfservice.conftest import Clock

    order = make_order(vospay)
    to_confirm(client, order)
    later = Clock()
    later.advance(11 * 60)
    monkeypatch.setattr(otp_guard, "clock_now", later)
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    assert response.status_code == 429 and "This code has expired. Ask for a new code." in html(response)
    assert finalizes(sandbox) == 0


def test_a_lost_finalize_answer_is_settled_by_verify_never_resent(client, vospay, sandbox):
    order = make_order(vospay)
    to_confirm(client, order)
    arm_fault(sandbox, "vospay", "finalize_transaction", "timeout", delay=3.0)  # acts, answer lost
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    assert response.status_code == 302
    assert finalizes(sandbox) == 1
    order.refresh_from_db()
    # Vospay may finish after the client gave up: verify said Valid now, or the sync says later
    notes = [e.note for e in order.events.all()]
    assert any("answer to the finalize was lost" in n for n in notes)
    assert order.status in (Status.UNKNOWN, Status.PENDING)
    page = html(client.get(url(order)))
    assert ("checking your payment with Vospay" in page) or ("Paid in installments" in page)
    # a second try is refused before any call
    calls = len(sandbox.sandbox("vospay").received)
    assert client.get(url(order, "account")).status_code == 409
    assert len(sandbox.sandbox("vospay").received) == calls


def test_a_lost_answer_that_verify_confirms_at_once_shows_the_contract(client, vospay, sandbox):
    order = make_order(vospay)
    to_confirm(client, order)
    arm_fault(sandbox, "vospay", "finalize_transaction", "dropped")  # acted, then the connection dropped
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    assert response.status_code == 302
    order.refresh_from_db()
    assert finalizes(sandbox) == 1
    assert order.status == Status.PENDING and order.vospay_order.verified_at is not None
    assert order.vospay_order.period == 6
    assert "Paid in installments" in html(client.get(url(order)))


@pytest.mark.parametrize("fault", ["503", "malformed"])
def test_upstream_faults_on_authorize_show_a_clear_page_and_allow_a_retry(client, vospay, sandbox, fault):
    order = make_order(vospay)
    vospay_signed_in(client)
    arm_fault(sandbox, "vospay", "authorize_transaction", fault)
    response = client.post(url(order, "account"), {"account": "1"})
    page = html(response)
    assert response.status_code in (502, 503) and ("try again" in page.lower())
    assert re.search(r'value="1"[^>]*checked', page)  # the choice is kept
    order.refresh_from_db()
    assert not order.external_id  # nothing half-saved
    assert client.post(url(order, "account"), {"account": "1"})["Location"] == url(order, "plan")


def test_finalize_unavailable_moves_nothing_and_the_customer_retries(client, vospay, sandbox):
    order = make_order(vospay)
    to_confirm(client, order)
    arm_fault(sandbox, "vospay", "finalize_transaction", "503", act=False)
    response = client.post(url(order, "confirm"), {"code": VOSPAY_OTP})
    page = html(response)
    assert "Nothing was changed; you can try again." in page or "not paid" in page.lower()
    order.refresh_from_db()
    assert order.vospay_order.finalize_sent_at is None and order.status == Status.PENDING
    # a new code (60 s later) and it pays
    from accounts.models import OtpThrottle

    OtpThrottle.objects.all().delete()
    assert client.post(url(order, "confirm/resend"))["Location"] == url(order, "confirm")
    assert client.post(url(order, "confirm"), {"code": VOSPAY_OTP}).status_code == 302
    order.refresh_from_db()
    assert order.vospay_order.verified_at is not None and finalizes(sandbox) == 2


def test_unknown_phone_accounts_and_field_errors(client, vospay, sandbox):
    order = make_order(vospay)
    vospay_signed_in(client)
    response = client.post(url(order, "account"), {})
    assert response.status_code == 400 and "Choose the account to pay with." in html(response)
    response = client.post(url(order, "account"), {"account": "7"})
    assert "Choose one of your accounts." in html(response)
    client.post(url(order, "account"), {"account": "0"})
    response = client.post(url(order, "plan"), {})
    assert response.status_code == 400 and "Choose how many months to pay over." in html(response)
    assert requests_to(sandbox, "vospay", "/authorize-transaction") == 1


def test_a_customer_of_another_merchant_is_nobody_here(vospay, sandbox, merchant):
    from tests.conftest import _sandbox_connection
    from tests.factories import MerchantFactory

    other = MerchantFactory(name="Other Shop", slug="other")
    _sandbox_connection(sandbox, other, "vospay")
    order = make_order(vospay)
    client = Client()
    assert client.post("/me/other/vospay/signin/", {"phone": vs.PHONE_SITI}).status_code == 302
    assert client.post("/me/other/vospay/verify/", {"code": VOSPAY_OTP}).status_code == 302
    # signed in at B: A's checkout asks to sign in at A
    response = client.get(url(order, "account"))
    assert response.status_code == 302 and response["Location"].startswith("/me/demo/vospay/signin/")
    # A's link under B's address does not exist
    token = order.vospay_order.checkout_token
    assert client.get(f"/me/other/checkout/{token}/").status_code == 404
    assert client.get(f"/me/other/checkout/{token}/account/").status_code == 404


def test_the_confirm_form_needs_csrf(client, vospay, sandbox):
    order = make_order(vospay)
    to_confirm(client, order)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies  # the same signed-in session, without the form's token
    assert strict.post(url(order, "confirm"), {"code": VOSPAY_OTP}).status_code == 403
    assert finalizes(sandbox) == 0
