"""EnKash client against the running sandbox over real HTTP: every operation, typed results."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from providers.base.errors import ProviderAuthenticationError, ProviderRejected
from providers.base.money import Money
from providers.enkash.client import CardDetail, CustomerInfo, EnKashClient
from providers.enkash.sandbox_data import DEMO_MERCHANT, SECOND_MERCHANT
from providers.registry import PROVIDERS
from tests.helpers import fast_client, wait_for
from tests.providers import enkash_support as enkash
from tests.providers.enkash_support import CARD_OK, NOWHERE, merchant_client

client = enkash.client

INR = "INR"
CARD_LATER = CardDetail("Asha Rao", "4100000000000019", "123", "12/39")
CARD_DECLINED = CardDetail("Asha Rao", "4100000000000027", "123", "12/39")
CARD_REFUNDS_FAIL = CardDetail("Asha Rao", "4100000000000068", "123", "12/39")


def rupees(value: str) -> Money:
    return Money(Decimal(value), INR)


@pytest.fixture
def sb(sandbox):
    box = sandbox.sandbox("enkash")
    with box.lock:
        box.configure({"completion_delay": 0.2})
    return box


def new_order(client: EnKashClient, order_id: str = "ORD1001", amount: str = "1250.50", **extra):
    return client.create_order(
        order_id=order_id, amount=Decimal(amount), return_url="https://shop.example/return",
        notify_url=extra.pop("notify_url", NOWHERE), **extra,
    )


def paths(sb, method: str, path: str) -> int:
    return sum(1 for r in sb.received if r.method == method and r.path == path)


# -- authentication ------------------------------------------------------------------------
def test_registry_builds_the_client_from_connection_credentials(sandbox, sb):
    cls = PROVIDERS["enkash"].client_class()
    client = cls(base_url=sandbox.base_url("enkash"), access_key=DEMO_MERCHANT.access_key,
                 secret_key=DEMO_MERCHANT.secret_key, session=requests.Session())
    assert isinstance(client, EnKashClient)
    assert client.check().startswith("EnKash accepted the access key")


def test_check_issues_a_token_and_reads_with_it(client, sb):
    sentence = client.check()
    assert "valid until" in sentence
    assert [r.path for r in sb.received] == ["/api/v0/merchant/token", "/api/v0/settlement-payout/search"]


def test_token_has_its_expiry_and_is_cached(client, sb):
    token = client.authorization_token()
    assert token.token in sb.tokens
    expected = sb.tokens[token.token]["expires_at"]
    assert abs(token.expires_at.timestamp() - expected) < 0.01
    assert token.expires_at - datetime.now(UTC) > timedelta(minutes=29)
    for _ in range(3):
        client.order_status(order_id=new_order(client, f"ORD{_}").order_id)
    assert paths(sb, "POST", "/api/v0/merchant/token") == 1
    assert "token" not in repr(token).replace("AuthorizationToken", "")


def test_token_is_renewed_shortly_before_expiry(client, sb):
    with sb.lock:
        sb.configure({"token_ttl": 1.5})
    first = client.authorization_token()
    new_order(client, "ORD1")
    time.sleep(1.3)  # inside the last fifth of the token's life: renew before using it
    client.order_status(order_id="ORD1")
    second = client.authorization_token()
    assert second.token != first.token
    assert paths(sb, "POST", "/api/v0/merchant/token") == 2
    assert not any(r.path == "/api/v0/orders/ORD1" and r.headers.get("authorization") == f"Bearer {first.token}"
                   for r in sb.received)


def test_a_revoked_token_is_renewed_once_and_the_call_repeated(client, sb):
    new_order(client, "ORD1")
    with sb.lock:
        sb.configure({"revoke_tokens": True})
    order = client.order_status(order_id="ORD1")
    assert order.order_id == "ORD1"
    calls = [r.path for r in sb.received]
    assert calls == ["/api/v0/merchant/token", "/api/v0/orders", "/api/v0/orders/ORD1",
                     "/api/v0/merchant/token", "/api/v0/orders/ORD1"]


def test_a_token_refused_twice_is_an_authentication_error(client, sb):
    with sb.lock:
        sb.configure({"reject_tokens": True})
    with pytest.raises(ProviderAuthenticationError) as caught:
        client.order_status(order_id="ORD1")
    assert caught.value.code == "token_rejected"
    assert caught.value.http_status == 401
    assert paths(sb, "GET", "/api/v0/orders/ORD1") == 2
    assert paths(sb, "POST", "/api/v0/merchant/token") == 2


def test_clients_sharing_a_session_share_the_token(sandbox, sb):
    session = requests.Session()
    first = fast_client(sandbox, "enkash", session=session)
    second = fast_client(sandbox, "enkash", session=session)
    assert first.authorization_token().token == second.authorization_token().token
    other = merchant_client(sandbox, SECOND_MERCHANT, session=session)
    assert other.authorization_token().token != first.authorization_token().token


# -- orders --------------------------------------------------------------------------------
def test_create_order_returns_the_order_with_checkout_url(client, sb):
    order = new_order(
        client, customer=CustomerInfo("Asha", "Rao", "asha@example.com", "9876543210", "12 MG Road, Pune"),
        description="Two notebooks", custom_parameters={"cart": "42"},
    )
    assert order.order_id == "ORD1001"
    assert order.enkash_order_id.startswith("EKO")
    assert order.amount == rupees("1250.50")
    assert (order.status, order.raw_status) == ("pending", "CREATED")
    assert order.checkout_url.endswith(f"/enkash/pay/checkout/{order.enkash_order_id}")
    assert order.description == "Two notebooks"
    assert order.expires_at - order.created_at == timedelta(minutes=30)
    assert order.payments == ()


def test_order_status_follows_the_order_through_checkout(client, sandbox, sb):
    order = new_order(client)
    page = requests.get(order.checkout_url, timeout=5)
    assert page.status_code == 200 and "1250.50 INR" in page.text and "data:image/png;base64," in page.text
    assert client.order_status(order_id=order.order_id).raw_status == "CHECKOUT_RENDERED"
    paid = requests.post(f"{sandbox.base_url('enkash')}/_simulate/orders/{order.enkash_order_id}/pay",
                         json={"outcome": "success"}, timeout=5)
    assert paid.json()["payload"]["status"] == "SUCCESS"
    status = client.order_status(order_id=order.order_id)
    assert (status.status, status.raw_status) == ("succeeded", "PAID")
    assert [(p.payment_mode, p.raw_status) for p in status.payments] == [("UPI", "SUCCESS")]


def test_an_unpaid_order_expires(client, sb):
    with sb.lock:
        sb.configure({"order_ttl": 0.2})
    new_order(client)
    time.sleep(0.25)
    order = client.order_status(order_id="ORD1001")
    assert (order.status, order.raw_status) == ("cancelled", "EXPIRED")


def test_a_cancelled_checkout_cancels_the_order(client, sandbox, sb):
    order = new_order(client)
    requests.post(f"{sandbox.base_url('enkash')}/_simulate/orders/{order.enkash_order_id}/pay",
                  json={"outcome": "cancel"}, timeout=5)
    assert client.order_status(order_id=order.order_id).status == "cancelled"


def test_orders_of_another_merchant_are_not_found(client, sandbox, sb):
    new_order(client)
    other = merchant_client(sandbox, SECOND_MERCHANT)
    with pytest.raises(ProviderRejected) as caught:
        other.order_status(order_id="ORD1001")
    assert caught.value.code == "order_not_found"


def test_bnpl_payment_modes_say_which_options_fit_the_amount(client, sb):
    new_order(client, amount="250.00")
    modes = {m.option_id: m for m in client.bnpl_payment_modes(order_id="ORD1001")}
    assert set(modes) == {"bnpl_lazypay_test", "bnpl_simpl_test", "bnpl_enkash_test"}
    assert modes["bnpl_lazypay_test"].eligible is True
    assert modes["bnpl_enkash_test"].eligible is False
    assert modes["bnpl_enkash_test"].min_amount == rupees("500.00")
    assert modes["bnpl_simpl_test"].provider == "SIMPL"


# -- payments ------------------------------------------------------------------------------
def test_card_payment_succeeds_at_once(client, sb):
    new_order(client)
    payment = client.submit_payment_detail(order_id="ORD1001", amount=Decimal("1250.50"),
                                           payment_mode="CREDIT_CARD", card=CARD_OK)
    assert (payment.status, payment.raw_status) == ("succeeded", "SUCCESS")
    assert payment.amount == rupees("1250.50")
    assert payment.masked_card == "410000******0001"
    assert payment.bank_reference
    assert payment.order_id == "ORD1001"
    assert client.order_status(order_id="ORD1001").raw_status == "PAID"


def test_card_payment_pending_with_bank_completes_later(client, sb):
    with sb.lock:
        sb.configure({"completion_delay": 0.6})
    new_order(client)
    payment = client.submit_payment_detail(order_id="ORD1001", amount="1250.50", payment_mode="DEBIT_CARD",
                                           card=CARD_LATER)
    assert (payment.status, payment.raw_status) == ("pending", "PENDING_WITH_BANK")
    assert client.order_status(order_id="ORD1001").raw_status == "PAYMENT_CONFIRMATION_PENDING"
    done = wait_for(lambda: (p := client.transaction_status(transaction_id=payment.transaction_id)).status
                    == "succeeded" and p)
    assert done.raw_status == "SUCCESS"
    assert client.order_status(order_id="ORD1001").raw_status == "PAID"


def test_declined_card_is_a_failed_payment_and_the_order_can_be_paid_again(client, sb):
    new_order(client)
    failed = client.submit_payment_detail(order_id="ORD1001", amount="1250.50", payment_mode="CREDIT_CARD",
                                          card=CARD_DECLINED)
    assert (failed.status, failed.raw_status, failed.failure_reason) == ("failed", "FAILED", "Insufficient funds.")
    assert client.order_status(order_id="ORD1001").raw_status == "ATTEMPTED"
    paid = client.submit_payment_detail(order_id="ORD1001", amount="1250.50", payment_mode="CREDIT_CARD",
                                        card=CARD_OK)
    assert paid.status == "succeeded"
    assert [p.raw_status for p in client.order_status(order_id="ORD1001").payments] == ["FAILED", "SUCCESS"]


@pytest.mark.parametrize(("vpa", "final"), [("success@enkash", "SUCCESS"), ("failure@enkash", "FAILED")])
def test_upi_collect_goes_pending_then_settles(client, sb, vpa, final):
    new_order(client)
    payment = client.submit_payment_detail(order_id="ORD1001", amount="1250.50", payment_mode="UPI", vpa=vpa)
    assert payment.raw_status == "PENDING_WITH_BANK"
    time.sleep(0.25)  # resolved lazily on the next call, even if the timer has not run
    assert client.transaction_status(transaction_id=payment.transaction_id).raw_status == final


def test_upi_vpa_that_stays_pending(client, sb):
    new_order(client)
    payment = client.submit_payment_detail(order_id="ORD1001", amount="1250.50", payment_mode="UPI",
                                           vpa="pending@enkash")
    time.sleep(0.25)
    assert client.transaction_status(transaction_id=payment.transaction_id).status == "pending"


def test_net_banking_with_third_party_validation(client, sb):
    new_order(client, "ORD1")
    ok = client.submit_payment_detail(order_id="ORD1", amount="1250.50", payment_mode="NET_BANKING",
                                      bank_code="SBIN", account_number="123456789012", ifsc="sbin0001234")
    assert ok.raw_status == "SUCCESS"
    assert sb.received[-1].body.count(b'"ifsc": "SBIN0001234"') == 1
    new_order(client, "ORD2")
    mismatch = client.submit_payment_detail(order_id="ORD2", amount="1250.50", payment_mode="NET_BANKING",
                                            bank_code="SBIN", account_number="123456789012", ifsc="HDFC0001234")
    assert (mismatch.raw_status, mismatch.failure_reason) == ("FAILED", "The account does not belong to the chosen bank.")


def test_wallet_and_pay_later(client, sb):
    new_order(client, "ORD1")
    wallet = client.submit_payment_detail(order_id="ORD1", amount="1250.50", payment_mode="WALLET", bank_code="PAYTM")
    assert wallet.status == "succeeded"
    new_order(client, "ORD2", amount="750.00")
    later = client.submit_payment_detail(order_id="ORD2", amount="750.00", payment_mode="PAY_LATER",
                                         bnpl_payment_option_id="bnpl_lazypay_test")
    assert (later.payment_mode, later.status) == ("PAY_LATER", "succeeded")


@pytest.mark.parametrize(("amount", "status"), [("1.01", "FAILED"), ("1.02", "PENDING_WITH_BANK")])
def test_amounts_that_decide_the_banks_answer(client, sb, amount, status):
    new_order(client, amount=amount)
    payment = client.submit_payment_detail(order_id="ORD1001", amount=amount, payment_mode="CREDIT_CARD",
                                           card=CARD_OK)
    assert payment.raw_status == status


# -- refunds -------------------------------------------------------------------------------
def paid_payment(client, card=CARD_OK, order_id="ORD1001", amount="1000.00"):
    new_order(client, order_id, amount=amount)
    return client.submit_payment_detail(order_id=order_id, amount=amount, payment_mode="CREDIT_CARD", card=card)


def test_partial_then_full_refund(client, sb):
    payment = paid_payment(client)
    first = client.refund(transaction_id=payment.transaction_id, amount="400.00", request_id="rf-1",
                          remarks="One item returned")
    assert (first.status, first.raw_status, first.amount) == ("pending", "CREATED", rupees("400.00"))
    assert first.request_id == "rf-1" and first.arn is None and first.remarks == "One item returned"
    wait_for(lambda: client.transaction_status(transaction_id=payment.transaction_id).raw_status
             == "PARTIALLY_REFUNDED")
    partly = client.transaction_status(transaction_id=payment.transaction_id)
    assert (partly.status, partly.refunded_amount) == ("succeeded", rupees("400.00"))
    assert partly.refunds[0].raw_status == "SUCCESS" and partly.refunds[0].arn.startswith("ARN")
    client.refund(transaction_id=payment.transaction_id, amount="600.00", request_id="rf-2")
    full = wait_for(lambda: (p := client.transaction_status(transaction_id=payment.transaction_id)).raw_status
                    == "REFUNDED" and p)
    assert (full.status, full.refunded_amount) == ("refunded", rupees("1000.00"))
    assert [r.request_id for r in full.refunds] == ["rf-1", "rf-2"]


def test_refund_with_the_same_request_id_is_made_once(client, sb):
    payment = paid_payment(client)
    first = client.refund(transaction_id=payment.transaction_id, amount="100.00", request_id="rf-1")
    again = client.refund(transaction_id=payment.transaction_id, amount="100.00", request_id="rf-1")
    assert again.refund_id == first.refund_id
    assert len(sb.refunds) == 1


def test_refund_of_the_refunds_fail_card_fails(client, sb):
    payment = paid_payment(client, card=CARD_REFUNDS_FAIL)
    client.refund(transaction_id=payment.transaction_id, amount="100.00", request_id="rf-1")
    refunds = wait_for(lambda: [r for r in client.transaction_status(transaction_id=payment.transaction_id).refunds
                                if r.status == "failed"])
    assert refunds[0].raw_status == "FAILED"
    assert client.transaction_status(transaction_id=payment.transaction_id).raw_status == "SUCCESS"


# -- UPI links and QR ----------------------------------------------------------------------
def test_upi_intent_links_and_dynamic_qr_share_one_attempt(client, sb):
    new_order(client)
    link = client.upi_intent_link(order_id="ORD1001")
    assert link.amount == rupees("1250.50")
    assert link.upi_url.startswith("upi://pay?pa=paydeskdemo%40enkash")
    assert "am=1250.50" in link.upi_url and f"tr={link.transaction_id}" in link.upi_url
    assert link.gpay.startswith("tez://upi/pay?") and link.phonepe.startswith("phonepe://pay?")
    assert link.paytm.startswith("paytmmp://pay?")
    qr = client.dynamic_qr_code(order_id="ORD1001")
    assert qr.transaction_id == link.transaction_id
    assert qr.upi_url == link.upi_url
    assert qr.png.startswith(b"\x89PNG\r\n\x1a\n") and len(qr.png) > 200
    attempt = client.transaction_status(transaction_id=qr.transaction_id)
    assert (attempt.raw_status, attempt.payment_mode) == ("CREATED", "UPI")


# -- settlements ---------------------------------------------------------------------------
def test_seeded_settlement_payouts_are_searchable(client, sb):
    page = client.search_settlement_payouts(direction="ASC")
    assert page.total_count == 2
    assert [p.raw_status for p in page.payouts] == ["SUCCESS", "FAILED"]
    paid = page.payouts[0]
    assert (paid.status, paid.total_sales, paid.transaction_count) == ("succeeded", rupees("3999.50"), 2)
    assert paid.utr and paid.payout_mode == "IMPS"
    only_failed = client.search_settlement_payouts(payout_status="FAILED")
    assert [p.status for p in only_failed.payouts] == ["failed"]
    assert client.search_settlement_payouts(from_date=date.today() + timedelta(days=1)).total_count == 0
    second = client.search_settlement_payouts(offset=1, limit=1, direction="ASC")
    assert (second.offset, second.limit, [p.payout_id for p in second.payouts]) == (1, 1, [page.payouts[1].payout_id])


def test_a_settlement_is_built_from_paid_transactions(client, sandbox, sb):
    payment = paid_payment(client, amount="1000.00")
    client.refund(transaction_id=payment.transaction_id, amount="100.00", request_id="rf-1")
    wait_for(lambda: client.transaction_status(transaction_id=payment.transaction_id).refunded_amount.amount)
    made = requests.post(f"{sandbox.base_url('enkash')}/_simulate/settlements",
                         json={"accessKey": DEMO_MERCHANT.access_key}, timeout=5).json()["payload"]
    payout_id = made["settlementPayouts"][0]["id"]
    payout = client.settlement_payout(payout_id=payout_id)
    assert (payout.raw_status, payout.utr) == ("INIT", None)
    assert payout.total_sales == rupees("1000.00")
    assert payout.total_refunds == rupees("100.00")
    assert payout.total_charges == rupees("20.00")  # 2% MDR
    assert payout.total_gst == rupees("3.60")  # 18% GST on the charges
    assert payout.settlement_amount == rupees("876.40")
    assert [(t.kind, t.amount) for t in payout.transactions] == [("SALE", rupees("1000.00")),
                                                                  ("REFUND", rupees("100.00"))]
    assert payout.transactions[0].net_amount == rupees("976.40")
    done = wait_for(lambda: (p := client.settlement_payout(payout_id=payout_id)).status == "succeeded" and p)
    assert done.utr.startswith("HDFCN")


# -- QR codes ------------------------------------------------------------------------------
def test_qr_customer_and_fixed_amount_qr_code(client, sandbox, sb):
    customer = client.create_qr_customer(name="Ravi Kumar", email="ravi@example.com", mobile="9123456780")
    assert customer.customer_id.startswith("EKC") and customer.mobile == "9123456780"
    expiry = datetime.now(UTC) + timedelta(days=7)
    qr = client.create_qr_code(name="Counter 1", multiple_use=False, amount="499.00", description="Tea set",
                               expires_at=expiry, customer_id=customer.customer_id)
    assert (qr.fixed_amount, qr.multiple_use, qr.amount) == (True, False, rupees("499.00"))
    assert (qr.raw_status, qr.is_active) == ("ACTIVE", True)
    assert (qr.customer_name, qr.customer_email) == ("Ravi Kumar", "ravi@example.com")
    assert abs((qr.expires_at - expiry).total_seconds()) < 1
    assert qr.png.startswith(b"\x89PNG") and "am=499.00" in qr.upi_url
    requests.post(f"{sandbox.base_url('enkash')}/_simulate/qr-codes/{qr.qr_code_id}/pay", json={}, timeout=5)
    fetched = client.get_qr_code(qr_code_id=qr.qr_code_id)
    assert (fetched.payments_count, fetched.amount_received) == (1, rupees("499.00"))
    found = client.search_qr_customers(mobile="9123456780")
    assert (found.total_count, [c.customer_id for c in found.customers]) == (1, [customer.customer_id])


def test_search_and_cancel_qr_codes(client, sb):
    first = client.create_qr_code(name="Shop front", multiple_use=True)
    client.create_qr_code(name="Back counter", multiple_use=True)
    assert first.amount is None and first.fixed_amount is False
    assert client.search_qr_codes().total_count == 2
    assert [q.name for q in client.search_qr_codes(name="front").qr_codes] == ["Shop front"]
    cancelled = client.cancel_qr_code(qr_code_id=first.qr_code_id)
    assert (cancelled.raw_status, cancelled.is_active) == ("CANCELLED", False)
    assert client.cancel_qr_code(qr_code_id=first.qr_code_id).raw_status == "CANCELLED"  # idempotent
    active = client.search_qr_codes(status="ACTIVE")
    assert [q.name for q in active.qr_codes] == ["Back counter"]
    assert client.get_qr_code(qr_code_id=first.qr_code_id).raw_status == "CANCELLED"
