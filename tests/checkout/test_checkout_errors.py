"""Vospay's documented refusals on the checkout's calls, each shown as a clear sentence with
nothing moved and a way on: accounts 404, authorize 404, the transaction OTP's 500,
finalize's 400 / 401 / 404 (each clears the mark, so the customer may finalize again)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from payments.models import Status, VospayOrder
from payments.services.common import Actor
from payments.services.vospay import vospay_order_authorized, vospay_order_finalize
from providers.base.errors import ProviderAuthenticationError, ProviderRejected
from providers.base.money import Money
from providers.vospay import sandbox as vs
from providers.vospay.types import InstallmentPlan
from tests.checkout.test_checkout_flow import url
from tests.helpers import requests_to
from tests.selfservice.conftest import html, vospay_signed_in
from tests.vospay.support import customer_authorizes, make_order

pytestmark = pytest.mark.django_db


def test_a_customer_without_an_account_is_told_so(client, vospay):
    order = make_order(vospay)
    vospay_signed_in(client, phone=vs.PHONE_NEW)  # Dominggus has an offer, not yet an account
    page = html(client.get(url(order, "account")))
    assert "Vospay has no account on your phone number. Activate one first" in page


def test_authorize_refused_for_an_unknown_merchant_keeps_the_choice(client, vospay):
    order = make_order(vospay)
    VospayOrder.objects.filter(transaction=order).update(merchant_key="sbx_mk_unknown")
    vospay_signed_in(client)
    response = client.post(url(order, "account"), {"account": "1"})
    page = html(response)
    assert "Vospay does not offer this account for this shop." in page
    assert re.search(r'value="1"[^>]*checked', page)  # the choice is kept
    order.refresh_from_db()
    assert not order.external_id


def test_the_transaction_code_refused_is_shown_on_the_plan_page(client, vospay, sandbox):
    order = make_order(vospay)
    vospay_signed_in(client)
    client.post(url(order, "account"), {"account": "0"})
    VospayOrder.objects.filter(transaction=order).update(merchant_key="sbx_mk_unknown")
    response = client.post(url(order, "plan"), {"plan": "2"})
    page = html(response)
    assert "Vospay could not send a confirmation code for this purchase." in page
    assert 'value="2" checked' in page  # the plan stays chosen
    # the guard's count was rolled back: a second try is not "too soon"
    VospayOrder.objects.filter(transaction=order).update(merchant_key="sbx_mk_bukalapak")
    assert client.post(url(order, "plan"), {"plan": "2"})["Location"] == url(order, "confirm")


def _authorized(sandbox, vospay):
    order = make_order(vospay)
    client, authorized = customer_authorizes(sandbox, order)
    vospay_order_authorized(order=order, transaction_id=authorized.transaction_id, actor=Actor.system())
    client.send_otp(phone=vs.PHONE_SITI, action="transaction", gross_amount=authorized.gross_amount,
                    merchant_key=order.vospay_order.merchant_key)
    token = client.create_access_token(strategy="otp", phone=vs.PHONE_SITI, code=vs.TEST_OTP).token
    return order, authorized, token


def _finalize(order, authorized, token, plan=None, transaction_id=None):
    plan = plan or authorized.installment_plans[0]
    return vospay_order_finalize(order=order, transaction_id=transaction_id or authorized.transaction_id, plan=plan,
                                 gross=authorized.gross_amount, confirmation=token, actor=Actor.system())


def _nothing_moved(order):
    order.refresh_from_db()
    detail = VospayOrder.objects.get(transaction=order)
    assert detail.finalize_sent_at is None and detail.finalized_at is None and order.status == Status.PENDING
    assert "Nothing moved" in order.events.last().note


def test_finalize_400_plan_not_offered(sandbox, vospay):
    order, authorized, token = _authorized(sandbox, vospay)
    bogus = InstallmentPlan("9", 24, Decimal("0.1"), Money(Decimal("1"), "IDR"))
    with pytest.raises(ProviderRejected) as refused:
        _finalize(order, authorized, token, plan=bogus)
    assert refused.value.code == "installment_invalid"
    _nothing_moved(order)
    _finalize(order, authorized, token)  # the same confirmation, a plan on offer: it pays
    order.vospay_order.refresh_from_db()
    assert order.vospay_order.verified_at is not None


def test_finalize_401_without_a_transaction_confirmation(sandbox, vospay):
    order, authorized, _ = _authorized(sandbox, vospay)
    client, _ = customer_authorizes(sandbox, make_order(vospay))  # signs in again: an activation token
    client.send_otp(phone=vs.PHONE_SITI, action="activation")
    sign_in = client.create_access_token(strategy="otp", phone=vs.PHONE_SITI, code=vs.TEST_OTP).token
    with pytest.raises(ProviderAuthenticationError):
        _finalize(order, authorized, sign_in)
    _nothing_moved(order)


def test_finalize_404_unknown_transaction(sandbox, vospay):
    order, authorized, token = _authorized(sandbox, vospay)
    vospay_order_authorized(order=order, transaction_id="0" * 24, actor=Actor.system())
    with pytest.raises(ProviderRejected) as refused:
        _finalize(order, authorized, token, transaction_id="0" * 24)
    assert refused.value.code == "transaction_not_found"
    _nothing_moved(order)
    assert requests_to(sandbox, "vospay", "/finalize-transaction") == 1


def test_a_mark_left_by_a_dead_checkout_is_cleared_by_the_sync_once_verify_says_invalid(sandbox, vospay):
    from datetime import timedelta

    from django.utils import timezone

    from payments.services.vospay import vospay_checkout_refusal, vospay_order_verify

    order, _, _ = _authorized(sandbox, vospay)
    VospayOrder.objects.filter(transaction=order).update(finalize_sent_at=timezone.now() - timedelta(seconds=5))
    vospay_order_verify(order=order, actor=Actor.sync())  # too recent: a finalize may be on its way
    detail = VospayOrder.objects.get(transaction=order)
    assert vospay_checkout_refusal(order, detail).code == "in_progress"
    VospayOrder.objects.filter(transaction=order).update(finalize_sent_at=timezone.now() - timedelta(minutes=2))
    vospay_order_verify(order=order, actor=Actor.sync())
    detail = VospayOrder.objects.get(transaction=order)
    assert detail.finalize_sent_at is None and vospay_checkout_refusal(order, detail) is None


def test_a_session_vospay_no_longer_accepts_sends_the_customer_to_sign_in_and_back(client, vospay):
    from accounts.selfservice.sessions import SESSION_KEY
    from providers import crypto

    order = make_order(vospay)
    vospay_signed_in(client)
    session = client.session
    entries = session[SESSION_KEY]
    for mine in entries.values():
        mine["vospay"]["token"] = crypto.encrypt_json({"token": "not.a.token"})
    session[SESSION_KEY] = entries
    session.save()
    response = client.get(url(order, "account"))
    assert response.status_code == 302
    assert response["Location"] == f"/me/demo/vospay/signin/?next={url(order, 'account')}"
