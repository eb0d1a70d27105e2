"""The fault sweep (issue 11): every provider operation Paydesk calls, under every fault
the sandboxes can arm, through the page or API endpoint that uses it.

ONE table, ``TABLE``: (provider, operation) -> the route, how to drive it, and what it
stores. ``test_the_table_names_every_client_operation`` reads the clients and fails
when an operation is missing, so a new one cannot escape the sweep.

What "right" means, per fault (``expected``):
- a money-moving operation under timeout / dropped / 500 / 502 / malformed: the route
  answers (page: a readable message; API: 202 with status ``unknown``), exactly one
  Transaction is stored and it is ``unknown``, and the provider got exactly one request;
- a money-moving operation under 503: a plain "unavailable" error, nothing moved (the
  record, if kept, is ``failed``), one request;
- any other operation: a clear message (page) or the error shape with its documented
  status (API: 502 unreadable answer, 503 unavailable), nothing stored or changed (a
  write may keep at most one record: never a duplicate), and the client's retries only
  for the calls it may repeat (GETs and ``safe`` calls);
- "slow": the answer comes late but inside the read timeout: the route works as usual.

Pages must never answer 5xx. The sweep runs with a 1 s read timeout (``settings``), so a
"timeout" fault waits 1.4 s; a safe call retried three times costs ~4.5 s, which is why
``timeout`` is run for every money/write row and sampled for reads (see ``SAMPLED``).
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Role
from providers.base.sandbox import FAULT_KINDS
from tests.abuse.fault_sweep_support import Ctx, Row, app_calls, client_operations, requests_for
from tests.conftest import _sandbox_connection, arm_fault

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 3  # RetryPolicy() default: what client_for gives every route
READ_TIMEOUT = 1.0
TIMEOUT_DELAY = 1.4
SLOW_DELAY = 0.4
UNKNOWN_FAULTS = ("timeout", "dropped", "500", "502", "malformed")
RETRIED_FAULTS = ("timeout", "dropped", "500", "502", "503")
MESSAGE = re.compile(r"try again|may or may not|could not|not answering|unavailable|did not|unknown|"
                     r"not confirm|no answer|not read", re.IGNORECASE)
UNKNOWN_MESSAGE = re.compile(r"may or may not|unknown|did not confirm|not confirm", re.IGNORECASE)


# -- records --------------------------------------------------------------------------------------
def _txs(**filters):
    from payments.models import Transaction

    return lambda ctx: list(Transaction.objects.filter(**filters).order_by("pk").values_list("pk", "status"))


def _model(label: str, *fields: str):
    def read(ctx):
        from django.apps import apps

        return list(apps.get_model(label).objects.order_by("pk").values_list("pk", *fields))

    return read


# -- EnigmaPay ------------------------------------------------------------------------------------
def _payout_body():
    from providers.enigmapay import testdata

    return {"username": "ayse.yilmaz", "customer_iban": testdata.CUSTOMER_IBAN_OK, "customer_name": "Ayse Yilmaz",
            "amount": "125.50", "description": "Sweep payout"}


def _made_payout(ctx):
    from payments.services.common import Actor
    from payments.services.payouts import payout_create

    body = _payout_body()
    ctx.data["payout"] = payout_create(connection=ctx.conn("enigmapay"), actor=Actor.system(),
                                       **{**body, "amount": Decimal(body["amount"])})


def _made_ibans(ctx):
    from payments.services.balances import ibans_refresh

    ctx.data["iban"] = ibans_refresh(connection=ctx.conn("enigmapay"))[0]


# -- EoneoPay -------------------------------------------------------------------------------------
def _new_customer_body():
    from providers.eoneopay import testdata

    return {"name": "Cal Client", "email": "cal@example.test", "address": "3 Way",
            "cards": [{"number": testdata.CARD_APPROVED_VISA, "expiry_date": "05/29", "cvv": "602"}]}


def _made_customer(ctx):
    from tests.eoneopay.support import make_customer

    ctx.data["customer"] = make_customer(ctx.conn("eoneopay"))


def _made_charge(ctx):
    from tests.eoneopay.support import charge

    _made_customer(ctx)
    ctx.data["payment"] = charge(ctx.conn("eoneopay"), ctx.data["customer"].cards.get(), amount="30.00")


def _made_api_key(ctx):
    from payments.services import eoneopay as service
    from payments.services.common import Actor

    ctx.data["key"], _ = service.api_key_create(connection=ctx.conn("eoneopay"), actor=Actor.system())


# -- EnKash ----------------------------------------------------------------------------------------
ORDER_BODY = {"amount": "1250.50", "customer_first_name": "Asha", "customer_last_name": "Rao",
              "customer_email": "asha@example.com", "customer_phone": "9876543210", "description": "Two notebooks",
              "return_url": "https://shop.example/return"}


def _order_post(ctx):
    return ctx.api_post("/api/v1/orders/", {**ORDER_BODY, "connection": ctx.conn("enkash").pk})


def _made_order(ctx):
    from tests.enkash.conftest import new_order

    ctx.data["order"] = new_order(ctx.conn("enkash"), _actor(ctx))


def _actor(ctx):
    from payments.services.common import Actor

    return Actor.for_user(ctx.members["manager"])


def _made_pending_payment(ctx):
    from payments.services.enkash import payment_submit

    _made_order(ctx)
    ctx.data["payment"] = payment_submit(order=ctx.data["order"], actor=_actor(ctx), payment_mode="UPI",
                                         vpa="pending@enkash")


def _made_paid_order(ctx):
    from payments.services.idempotency import form_token_issue
    from payments.views.enkash import _refund_scope
    from tests.enkash.conftest import paid_order

    ctx.data["order"], ctx.data["payment"] = paid_order(ctx.sandbox, ctx.conn("enkash"), _actor(ctx))
    ctx.data["token"] = form_token_issue(merchant=ctx.merchant, scope=_refund_scope(ctx.data["payment"]))


def _no_token(ctx):
    from providers.enkash import tokens

    tokens._copies.clear()
    from django.core.cache import caches

    caches["shared"].clear()


def _made_settlement(ctx):
    from payments.services.enkash_settlements import settlements_search
    from tests.enkash_settlements.support import paid_order, run_settlement

    paid_order(ctx.sandbox)
    run_settlement(ctx.sandbox)
    settlements_search(connection=ctx.conn("enkash"), actor=_actor(ctx))
    from payments.models import Transaction

    ctx.data["settlement"] = Transaction.objects.filter(kind="settlement").order_by("pk").first()


def _made_qr_code(ctx):
    from payments.services.enkash_settlements import qr_code_create

    ctx.data["qr"] = qr_code_create(connection=ctx.conn("enkash"), actor=_actor(ctx), name="Gate",
                                  multiple_use=False, fixed_amount=False)


# -- Vospay and EnayaPay customer pages (/me/<slug>/) -----------------------------------------------
DOMINGGUS = {"mfc_code": "234", "nik": "6308044810820001", "phone": "0811-8289-855", "date_of_birth": "1988-10-02"}


def _me(path: str) -> str:
    return f"/me/demo/{path}"


def _customer(ctx) -> Client:
    return ctx.data.setdefault("customer_client", Client())


def _vospay_otp_sent(ctx):
    assert _customer(ctx).post(_me("vospay/signin/"), {"phone": "08110000002"}).status_code == 302


def _vospay_signed_in(ctx):
    from tests.selfservice.conftest import vospay_signed_in

    vospay_signed_in(_customer(ctx))


def _vospay_activation_otp_sent(ctx):
    assert _customer(ctx).post(_me("vospay/activate/"), DOMINGGUS).status_code == 302


def _vospay_activated(ctx):
    from tests.selfservice.conftest import VOSPAY_OTP

    _vospay_activation_otp_sent(ctx)
    response = _customer(ctx).post(_me("vospay/verify/"), {"code": VOSPAY_OTP})
    assert response["Location"] == _me("vospay/register/")


def _vospay_register(ctx):
    return _customer(ctx).post(_me("vospay/register/"), {
        "email": "dominggus@example.id", "access_code": "Dom-Code-2024", "access_code_confirm": "Dom-Code-2024"},
        follow=True)


def _vospay_order(ctx):
    """A Vospay order the customer finalized at checkout (so there is something to verify)."""
    from payments.services.common import Actor
    from payments.services.vospay import vospay_order_finalized
    from tests.vospay.support import customer_finalizes, make_order

    order = make_order(ctx.conn("vospay"))
    checkout = customer_finalizes(ctx.sandbox, order)
    vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id, plan=checkout.plan,
                           actor=Actor.system())
    ctx.data["order"] = order


def _enaya_registered(ctx):
    from tests.selfservice.conftest import enaya_register

    assert enaya_register(_customer(ctx)).status_code == 302


def _enaya_signed_in(ctx):
    from tests.selfservice.conftest import enaya_signed_in

    enaya_signed_in(_customer(ctx))


def _enaya_forgot_verified(ctx):
    from tests.selfservice.conftest import ENAYA_OTP

    assert _customer(ctx).post(_me("enayapay/forgot/"), {"phone": "0912000001"}).status_code == 302
    assert _customer(ctx).post(_me("enayapay/verify/"), {"code": ENAYA_OTP})["Location"] == _me("enayapay/reset/")


def _enaya_balance(ctx):
    from providers.enayapay import sandbox as enaya

    return _customer(ctx).post(_me("enayapay/balance/"), {"pan": enaya.CARD_OK, "expiry": "2812", "ipin": enaya.IPIN})


def _otp():
    from tests.selfservice.conftest import VOSPAY_OTP

    return {"code": VOSPAY_OTP}


def _enaya_otp():
    from tests.selfservice.conftest import ENAYA_OTP

    return {"code": ENAYA_OTP}


# -- the money-moving desk pages (the same operations as the API rows, through their forms) -----------
def _payout_confirmed(ctx):
    from tests.payments.test_enigmapay_pages import PAYOUT, confirm, hidden_fields

    desk = ctx.page("manager")
    confirmed = confirm(desk, ctx.conn("enigmapay"), **{**PAYOUT, "amount": "125.50"})
    assert confirmed.status_code == 200, confirmed.content
    ctx.data["form"] = hidden_fields(confirmed.content.decode())


def _charge_form(ctx):
    from payments.services.idempotency import form_token_issue
    from payments.views.eoneopay import CHARGE_SCOPE

    _made_customer(ctx)
    ctx.data["form"] = {"token": form_token_issue(merchant=ctx.merchant, scope=CHARGE_SCOPE), "currency": "AUD",
                        "card": ctx.data["customer"].cards.get().pk, "amount": "20.00", "reference": "Sweep"}


def _refund_form(ctx):
    from payments.services.idempotency import form_token_issue
    from payments.views.payments import REFUND_SCOPE

    _made_charge(ctx)
    ctx.data["form"] = {"token": form_token_issue(merchant=ctx.merchant, scope=REFUND_SCOPE)}


def _order_pay_form(ctx):
    from payments.services.idempotency import form_token_issue
    from payments.views.enkash import _pay_scope

    _made_order(ctx)
    ctx.data["form"] = {"token": form_token_issue(merchant=ctx.merchant, scope=_pay_scope(ctx.data["order"])),
                        "payment_mode": "UPI", "vpa": "pending@enkash"}


def _desk_post(path):
    return lambda ctx: ctx.page("manager").post(path(ctx), ctx.data["form"], follow=True)


CHECKOUT = "the customer's Vospay checkout (payments/checkout/, in progress): no Paydesk code calls it yet"

TABLE: list[Row] = [
    # EnigmaPay
    Row("enigmapay", "send_money", "POST /dashboard/payouts/send/ (after confirm)", "money", via="page",
        setup=_payout_confirmed, drive=_desk_post(lambda ctx: "/dashboard/payouts/send/"),
        records=_txs(kind="payout")),
    Row("enigmapay", "send_money", "POST /api/v1/payouts/", "money",
        drive=lambda ctx: ctx.api_post("/api/v1/payouts/", _payout_body()),
        records=_txs(kind="payout")),
    Row("enigmapay", "credit_card_payment", "POST /api/v1/payment-links/", "write",
        drive=lambda ctx: ctx.api_post("/api/v1/payment-links/", {
            "username": "mdemir", "first_name": "Mehmet", "last_name": "Demir", "email": "mehmet@example.test",
            "phone": "905321234567", "amount": "250.00"}),
        records=_txs(kind="payment_link")),
    Row("enigmapay", "settings", "GET /dashboard/enigmapay/settings/?fresh=1",
        drive=lambda ctx: ctx.page("viewer").get("/dashboard/enigmapay/settings/", {"fresh": "1"})),
    Row("enigmapay", "ibans", "POST /api/v1/ibans/refresh/",
        drive=lambda ctx: ctx.api_post("/api/v1/ibans/refresh/", role=Role.VIEWER, key=False),
        records=_model("payments.IbanAccount", "balance")),
    Row("enigmapay", "iban_transactions", "GET /dashboard/ibans/<pk>/", setup=_made_ibans,
        drive=lambda ctx: ctx.page("viewer").get(f"/dashboard/ibans/{ctx.data['iban'].pk}/")),
    Row("enigmapay", "transaction_status", "POST /api/v1/payouts/<pk>/check-status/", setup=_made_payout,
        drive=lambda ctx: ctx.api_post(f"/api/v1/payouts/{ctx.data['payout'].pk}/check-status/", key=False),
        records=_txs(kind="payout")),
    # EoneoPay
    Row("eoneopay", "customer_create", "POST /api/v1/customers/", "write",
        drive=lambda ctx: ctx.api_post("/api/v1/customers/", _new_customer_body()),
        records=_model("payments.EoneoPayCustomer", "external_id"),
        recovers=("timeout", "dropped", "malformed"),
        notes="a lost answer is read back from the customer list: the customer it made is stored"),
    Row("eoneopay", "customer_get", "PATCH /api/v1/customers/<pk>/ (reads the customer first)",
        setup=_made_customer,
        drive=lambda ctx: ctx.api_post(f"/api/v1/customers/{ctx.data['customer'].pk}/", {"name": "New Name"},
                                       key=False, method="patch"),
        records=_model("payments.EoneoPayCustomer", "name")),
    Row("eoneopay", "customer_update", "PATCH /api/v1/customers/<pk>/ (no new card: a repeatable PUT)", "write",
        setup=_made_customer, safe=True,
        drive=lambda ctx: ctx.api_post(f"/api/v1/customers/{ctx.data['customer'].pk}/", {"name": "New Name"},
                                       key=False, method="patch"),
        records=_model("payments.EoneoPayCustomer", "name")),
    Row("eoneopay", "customer_delete", "DELETE /api/v1/customers/<pk>/", "write", setup=_made_customer,
        drive=lambda ctx: ctx.api_post(f"/api/v1/customers/{ctx.data['customer'].pk}/", key=False,
                                       method="delete"),
        records=_model("payments.EoneoPayCustomer", "deleted_at")),
    Row("eoneopay", "customer_list", "POST /dashboard/eoneopay/customers/import/",
        drive=lambda ctx: ctx.page("manager").post("/dashboard/eoneopay/customers/import/", follow=True),
        records=_model("payments.EoneoPayCustomer", "external_id")),
    Row("eoneopay", "api_key_create", "POST /dashboard/eoneopay/connections/<pk>/api-keys/new/", "write",
        drive=lambda ctx: ctx.page("owner").post(
            f"/dashboard/eoneopay/connections/{ctx.conn('eoneopay').pk}/api-keys/new/", follow=True),
        records=_model("payments.EoneoPayApiKey", "status")),
    Row("eoneopay", "api_key_get", "POST /dashboard/eoneopay/api-keys/<pk>/check/", setup=_made_api_key,
        drive=lambda ctx: ctx.page("owner").post(f"/dashboard/eoneopay/api-keys/{ctx.data['key'].pk}/check/",
                                                 follow=True),
        records=_model("payments.EoneoPayApiKey", "status")),
    Row("eoneopay", "api_key_revoke", "POST /dashboard/eoneopay/api-keys/<pk>/revoke/", "write",
        setup=_made_api_key,
        drive=lambda ctx: ctx.page("owner").post(f"/dashboard/eoneopay/api-keys/{ctx.data['key'].pk}/revoke/",
                                                 follow=True),
        records=_model("payments.EoneoPayApiKey", "status")),
    Row("eoneopay", "payment_create", "POST /api/v1/payments/", "money", setup=_made_customer,
        drive=lambda ctx: ctx.api_post("/api/v1/payments/", {"card": ctx.data["customer"].cards.get().pk,
                                                             "amount": "20.00", "reference": "Sweep"}),
        records=_txs(kind="payment")),
    Row("eoneopay", "payment_create", "POST /dashboard/eoneopay/charge/", "money", via="page", setup=_charge_form,
        drive=_desk_post(lambda ctx: "/dashboard/eoneopay/charge/"), records=_txs(kind="payment")),
    Row("eoneopay", "payment_refund", "POST /dashboard/payments/<pk>/refund/", "money", via="page",
        setup=_refund_form, drive=_desk_post(lambda ctx: f"/dashboard/payments/{ctx.data['payment'].pk}/refund/"),
        records=_txs(kind="refund")),
    Row("eoneopay", "payment_refund", "POST /api/v1/payments/<pk>/refund/", "money", setup=_made_charge,
        drive=lambda ctx: ctx.api_post(f"/api/v1/payments/{ctx.data['payment'].pk}/refund/", {}),
        records=_txs(kind="refund")),
    # EnKash: orders and payments
    Row("enkash", "authorization_token", "POST /api/v1/orders/ with no session token yet (any EnKash route)",
        "write", setup=_no_token,
        drive=_order_post, records=_txs(kind="order"),
        task="also every sync / callback confirm of EnKash that finds no token"),
    Row("enkash", "create_order", "POST /api/v1/orders/", "write",
        drive=_order_post, records=_txs(kind="order")),
    Row("enkash", "order_status", "POST /api/v1/orders/<pk>/check-status/", setup=_made_order,
        drive=lambda ctx: ctx.api_post(f"/api/v1/orders/{ctx.data['order'].pk}/check-status/", key=False),
        records=_txs(kind="order")),
    Row("enkash", "transaction_status", "POST /api/v1/orders/<pk>/check-status/ (an open payment)",
        setup=_made_pending_payment,
        drive=lambda ctx: ctx.api_post(f"/api/v1/orders/{ctx.data['order'].pk}/check-status/", key=False),
        records=_txs(kind="payment")),
    Row("enkash", "upi_intent_link", "GET /dashboard/enkash/orders/<pk>/ (pay options)", setup=_made_order,
        drive=lambda ctx: ctx.page("manager").get(f"/dashboard/enkash/orders/{ctx.data['order'].pk}/"),
        records=_txs(kind="order")),
    Row("enkash", "bnpl_payment_modes", "GET /dashboard/enkash/orders/<pk>/ (pay options)", setup=_made_order,
        drive=lambda ctx: ctx.page("manager").get(f"/dashboard/enkash/orders/{ctx.data['order'].pk}/"),
        records=_txs(kind="order")),
    Row("enkash", "dynamic_qr_code", "GET /dashboard/enkash/orders/<pk>/qr.png", setup=_made_order,
        drive=lambda ctx: ctx.page("viewer").get(f"/dashboard/enkash/orders/{ctx.data['order'].pk}/qr.png"),
        outage_5xx=True),
    Row("enkash", "submit_payment_detail", "POST /api/v1/orders/<pk>/payment-detail/", "money",
        setup=_made_order,
        drive=lambda ctx: ctx.api_post(f"/api/v1/orders/{ctx.data['order'].pk}/payment-detail/",
                                       {"payment_mode": "UPI", "vpa": "pending@enkash"}),
        records=_txs(kind="payment")),
    Row("enkash", "submit_payment_detail", "POST /dashboard/enkash/orders/<pk>/pay/", "money", via="page",
        setup=_order_pay_form, drive=_desk_post(lambda ctx: f"/dashboard/enkash/orders/{ctx.data['order'].pk}/pay/"),
        records=_txs(kind="payment"), reads_back=True),
    Row("enkash", "refund", "POST /dashboard/enkash/payments/<pk>/refund/", "money", setup=_made_paid_order,
        drive=lambda ctx: ctx.page("manager").post(
            f"/dashboard/enkash/payments/{ctx.data['payment'].pk}/refund/",
            {"amount": "100.00", "remarks": "sweep", "token": ctx.data["token"]}, follow=True),
        records=_txs(kind="refund")),
    # EnKash: settlements and static QR codes
    Row("enkash", "search_settlement_payouts", "POST /api/v1/settlements/search/",
        drive=lambda ctx: ctx.api_post("/api/v1/settlements/search/", {}, key=False),
        records=_txs(kind="settlement")),
    Row("enkash", "settlement_payout", "POST /dashboard/enkash/settlements/<pk>/check/", setup=_made_settlement,
        drive=lambda ctx: ctx.page("manager").post(
            f"/dashboard/enkash/settlements/{ctx.data['settlement'].pk}/check/", follow=True),
        records=_txs(kind="settlement")),
    Row("enkash", "create_qr_customer", "POST /api/v1/qr-customers/", "write",
        drive=lambda ctx: ctx.api_post("/api/v1/qr-customers/", {"name": "Ravi Kumar", "email": "ravi@example.com",
                                                                 "mobile": "9123456780"}),
        records=_model("payments.QrCustomer", "external_id")),
    Row("enkash", "search_qr_customers", "GET /dashboard/enkash/qr-customers/?q=...&enkash=1",
        drive=lambda ctx: ctx.page("viewer").get("/dashboard/enkash/qr-customers/", {"q": "Ravi", "enkash": "1"}),
        records=_model("payments.QrCustomer", "external_id")),
    Row("enkash", "create_qr_code", "POST /api/v1/qr-codes/", "write",
        drive=lambda ctx: ctx.api_post("/api/v1/qr-codes/", {"name": "Counter 1"}),
        recovers=("timeout", "dropped", "malformed"),
        records=_model("payments.QrCode", "status"),
        notes="a lost answer is looked up in EnKash's QR code search: the code it made is stored"),
    Row("enkash", "search_qr_codes", "POST /dashboard/enkash/qr-codes/refresh/",
        drive=lambda ctx: ctx.page("manager").post("/dashboard/enkash/qr-codes/refresh/", follow=True),
        records=_model("payments.QrCode", "status")),
    Row("enkash", "get_qr_code", "POST /dashboard/enkash/qr-codes/<pk>/check/", setup=_made_qr_code,
        drive=lambda ctx: ctx.page("manager").post(f"/dashboard/enkash/qr-codes/{ctx.data['qr'].pk}/check/",
                                                   follow=True),
        records=_model("payments.QrCode", "status")),
    Row("enkash", "cancel_qr_code", "POST /api/v1/qr-codes/<pk>/cancel/", "write", setup=_made_qr_code,
        drive=lambda ctx: ctx.api_post(f"/api/v1/qr-codes/{ctx.data['qr'].pk}/cancel/", key=False),
        records=_model("payments.QrCode", "status")),
    # Vospay: the merchant desk
    Row("vospay", "verify_transaction", "POST /dashboard/vospay/orders/<pk>/verify/", setup=_vospay_order,
        drive=lambda ctx: ctx.page("manager").post(f"/dashboard/vospay/orders/{ctx.data['order'].pk}/verify/",
                                                   follow=True),
        records=_txs(provider="vospay"), task="also the Vospay sync and the notify callback's confirm"),
    # Called by the installment checkout (customer pages); its faults (timeout, 503, malformed,
    # dropped; finalize lost → unknown, verified, never re-sent) are tested in
    # tests/checkout/test_checkout_flow.py and test_checkout_errors.py, not swept here yet.
    Row("vospay", "authorize_transaction", "", task="payments/checkout (tests/checkout)"),
    Row("vospay", "finalize_transaction", "", "money", task="payments/checkout (tests/checkout)"),
    Row("vospay", "merchants", "", not_called=CHECKOUT),
    # Vospay: customer self-service
    Row("vospay", "send_otp", "POST /me/<slug>/vospay/signin/", "write", outage_5xx=True,
        drive=lambda ctx: _customer(ctx).post(_me("vospay/signin/"), {"phone": "08110000002"}, follow=True)),
    Row("vospay", "create_access_token", "POST /me/<slug>/vospay/verify/", "write", setup=_vospay_otp_sent,
        outage_5xx=True, drive=lambda ctx: _customer(ctx).post(_me("vospay/verify/"), _otp(), follow=True)),
    Row("vospay", "profile", "GET /me/<slug>/vospay/", setup=_vospay_signed_in, outage_5xx=True,
        drive=lambda ctx: _customer(ctx).get(_me("vospay/"), follow=True)),
    Row("vospay", "contracts", "GET /me/<slug>/vospay/contracts/", setup=_vospay_signed_in, outage_5xx=True,
        drive=lambda ctx: _customer(ctx).get(_me("vospay/contracts/"), follow=True)),
    Row("vospay", "change_access_code", "POST /me/<slug>/vospay/access-code/", "write", setup=_vospay_signed_in,
        outage_5xx=True,
        drive=lambda ctx: _customer(ctx).post(_me("vospay/access-code/"), {
            "access_code": "New-Code-77", "access_code_confirm": "New-Code-77"}, follow=True)),
    Row("vospay", "activate_account", "POST /me/<slug>/vospay/verify/ (activation)", "write",
        setup=_vospay_activation_otp_sent, outage_5xx=True,
        drive=lambda ctx: _customer(ctx).post(_me("vospay/verify/"), _otp(), follow=True)),
    Row("vospay", "accounts", "POST /me/<slug>/vospay/register/ (finds the account)", setup=_vospay_activated,
        outage_5xx=True, drive=_vospay_register),
    Row("vospay", "register_account", "POST /me/<slug>/vospay/register/", "write", setup=_vospay_activated,
        outage_5xx=True, drive=_vospay_register),
    # EnayaPay: customer self-service
    Row("enayapay", "register", "POST /me/<slug>/enayapay/register/", "write", outage_5xx=True,
        drive=lambda ctx: _customer(ctx).post(_me("enayapay/register/"), {
            "name": "Sara Ali", "phone": "0912345678", "password": "Good-Pass-9", "password_confirm": "Good-Pass-9"},
            follow=True)),
    Row("enayapay", "verify", "POST /me/<slug>/enayapay/verify/", "write", setup=_enaya_registered,
        outage_5xx=True, drive=lambda ctx: _customer(ctx).post(_me("enayapay/verify/"), _enaya_otp(), follow=True)),
    Row("enayapay", "login", "POST /me/<slug>/enayapay/login/", "write", outage_5xx=True,
        drive=lambda ctx: _customer(ctx).post(_me("enayapay/login/"), {
            "phone": "0912000001", "password": "Sandbox-Pass-1"}, follow=True)),
    Row("enayapay", "reset_password", "POST /me/<slug>/enayapay/reset/", "write", setup=_enaya_forgot_verified,
        outage_5xx=True,
        drive=lambda ctx: _customer(ctx).post(_me("enayapay/reset/"), {
            "password": "Brand-New-Pass-3", "password_confirm": "Brand-New-Pass-3"}, follow=True)),
    Row("enayapay", "change_password", "POST /me/<slug>/enayapay/password/", "write", setup=_enaya_signed_in,
        outage_5xx=True,
        drive=lambda ctx: _customer(ctx).post(_me("enayapay/password/"), {
            "current_password": "Good-Pass-9", "new_password": "Next-Pass-44", "new_password_confirm": "Next-Pass-44"},
            follow=True)),
    Row("enayapay", "balance_inquiry", "POST /me/<slug>/enayapay/balance/", setup=_enaya_signed_in,
        outage_5xx=True, drive=_enaya_balance),
]

BY_KEY = {row.key: row for row in reversed(TABLE)}  # an operation's first row
# Reads retried three times under "timeout" cost ~4.5 s each: one per provider is swept
# by default (PAYDESK_FULL_SWEEP=1 runs them all).
SAMPLED_TIMEOUT_READS = {("enigmapay", "settings"), ("eoneopay", "customer_list"), ("enkash", "order_status"),
                         ("vospay", "profile"), ("enayapay", "balance_inquiry")}


def test_the_table_names_every_client_operation():
    operations = client_operations()
    assert len(operations) > 40  # the scan found the clients' operations
    missing = sorted(set(operations) - set(BY_KEY))
    assert not missing, f"operations in the clients but not in the sweep's TABLE: {missing}"
    assert not sorted(set(BY_KEY) - set(operations)), "rows for operations the clients no longer have"
    assert len({row.id for row in TABLE}) == len(TABLE), "each (operation, route) once"


def test_the_table_says_what_moves_money_as_the_clients_do():
    operations = client_operations()
    for row in TABLE:
        assert (row.kind == "money") == operations[row.key].moves_money, row.id


def test_every_row_has_a_route_a_task_or_a_reason():
    for row in TABLE:
        assert (row.drive is not None) or row.task or row.not_called, row.id
        if row.not_called:  # really never called by Paydesk's code
            assert not app_calls(row.operation), f"{row.id} is called now: give it a route"


def test_a_row_says_whether_its_call_is_resent_where_the_client_decides_per_call():
    operations = client_operations()
    for row in TABLE:
        if row.drive is not None:
            assert (operations[row.key].safe is None) == (row.safe is not None), row.id


def test_every_operation_is_a_sandbox_operation(sandbox):
    for row in TABLE:
        assert row.operation in sandbox.sandbox(row.provider).operations(), row.id


def expected(row: Row, fault: str) -> str:
    if fault == "slow":
        return "ok"
    if row.kind == "money":
        return "unknown" if fault in UNKNOWN_FAULTS else "unavailable"
    return "error"


def expected_requests(row: Row, fault: str) -> int:
    safe = client_operations()[row.key].safe
    safe = row.safe if safe is None else safe
    return ATTEMPTS if safe and fault in RETRIED_FAULTS else 1


def _cases():
    full = os.environ.get("PAYDESK_FULL_SWEEP") == "1"
    for row in TABLE:
        if row.drive is None:
            continue
        for fault in FAULT_KINDS:
            if fault == "timeout" and row.kind == "read" and not full and row.key not in SAMPLED_TIMEOUT_READS:
                continue
            yield pytest.param(row, fault, id=f"{row.id}-{fault}")


def _text(response) -> str:
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    text = content.decode(errors="replace")
    if _is_api(response):
        return text
    # What a person reads: markup (class="status-unknown", test ids, scripts) is no message.
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", text))


def _is_api(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


@pytest.fixture
def ctx(sandbox, merchant, members, settings):
    settings.PROVIDER_READ_TIMEOUT = READ_TIMEOUT
    settings.PAYDESK_PUBLIC_URL = "http://127.0.0.1:9"  # notifies go nowhere
    sandbox.sandbox("enkash").configure({"completion_delay": 0.2})
    from providers.enkash import tokens

    tokens._copies.clear()  # this sandbox forgot the tokens it issued: so does this process
    connections = {p: _sandbox_connection(sandbox, merchant, p) for p in ("eoneopay", "enkash", "vospay", "enayapay")}
    from providers.enigmapay.testdata import DEMO_CREDENTIALS
    from providers.services import connection_upsert

    connections["enigmapay"], _ = connection_upsert(
        merchant=merchant, provider="enigmapay", mode="test", base_url=sandbox.base_url("enigmapay"),
        credentials=dict(DEMO_CREDENTIALS))
    return Ctx(sandbox=sandbox, merchant=merchant, members=members, connections=connections)


@pytest.mark.parametrize(("row", "fault"), list(_cases()))
def test_a_fault_gives_a_clear_answer_and_keeps_every_record(ctx, row, fault):
    row.setup(ctx)
    before = row.records(ctx)
    ctx.sandbox.sandbox(row.provider).received.clear()
    delay = TIMEOUT_DELAY if fault == "timeout" else SLOW_DELAY
    arm_fault(ctx.sandbox, row.provider, row.operation, fault, count=ATTEMPTS, delay=delay)

    response = row.drive(ctx)

    outcome = expected(row, fault)
    text = _text(response)
    api = _is_api(response)
    where = f"{row.route} under {fault}: {response.status_code} {text[:600]}"
    assert response.status_code != 500, where
    if api:
        body = json.loads(text) if text else {}
        if response.status_code >= 400:
            assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], where
            assert response.status_code in (400, 404, 409, 422, 502, 503), where
    elif row.outage_5xx and response.status_code in (502, 503):  # the reason, shown as designed
        assert outcome != "ok" and MESSAGE.search(text), where
    else:
        assert response.status_code < 500, where

    after = row.records(ctx)
    new = [r for r in after if r[0] not in {b[0] for b in before}]
    sent = requests_for(ctx.sandbox, row.provider, row.operation)

    if outcome == "ok":
        assert response.status_code < 400, where
        assert sent == 1, where
        if row.kind == "money":
            assert len(new) == 1 and new[0][1] not in ("unknown", "failed"), (where, new)
        return

    if outcome == "unknown":
        if api:
            assert response.status_code == 202 and body["status"] == "unknown", where
        else:
            assert UNKNOWN_MESSAGE.search(text), where
        resolved = ("unknown", "pending", "succeeded") if row.reads_back else ("unknown",)
        assert len(new) == 1 and new[0][1] in resolved, (where, new)
        assert sent == 1, where
        return

    if outcome == "unavailable":
        if api:
            assert response.status_code == 503 and body["error"]["code"], where
        else:
            assert MESSAGE.search(text), where
        assert all(status == "failed" for _, status in new) and len(new) <= 1, (where, new)
        assert sent == 1, where
        return

    # a read or a write without money: a clear error, nothing stored twice, nothing lost
    assert sent == expected_requests(row, fault), (where, sent)
    if fault in row.recovers and response.status_code < 400:
        assert len(new) == 1, (where, "the record made upstream must be stored once", new)
        return
    if api:
        assert response.status_code >= 400 or body.get("status") == "unknown", where
        if response.status_code >= 500:  # the documented statuses of a provider error
            assert response.status_code == (502 if fault == "malformed" else 503), where
            if response.status_code == 503:
                assert response.get("Retry-After"), where
    else:
        assert MESSAGE.search(text), where
    if row.kind == "read":
        assert after == before, (where, before, after)
    else:
        assert len(new) <= 1, (where, new)
