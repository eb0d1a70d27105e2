"""Every documented EnKash failure status of every operation, and the checks the client
makes before sending: error class, stable code, HTTP status and a readable sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from providers.base.errors import ProviderAuthenticationError, ProviderInputError, ProviderRejected
from providers.base.money import Money
from providers.enkash.client import DOCUMENTED, CardDetail
from providers.enkash.sandbox_data import DEMO_MERCHANT, INACTIVE_MERCHANT
from tests.helpers import fast_client
from tests.providers import enkash_support as enkash
from tests.providers.enkash_support import CARD_OK, NOWHERE, order

sb, client = enkash.sb, enkash.client


def paid(client, order_id="ORD1", amount="1000.00"):
    order(client, order_id, amount)
    return client.submit_payment_detail(order_id=order_id, amount=amount, payment_mode="CREDIT_CARD", card=CARD_OK)


def failed_payment(client):
    order(client, amount="1.01")
    return client.submit_payment_detail(order_id="ORD1", amount="1.01", payment_mode="CREDIT_CARD", card=CARD_OK)


def assert_readable(error) -> None:
    assert error.message[0].isupper() and error.message.endswith("."), error.message
    assert "{" not in error.message and "response_code" not in error.message
    assert str(error).startswith(f"enkash.{error.operation}")


# (operation, HTTP status, expected code, how to provoke it)
SCENARIOS = [
    ("create_order", 400, "invalid_request", lambda c: order(c, order_id="ORD-1")),
    ("create_order", 400, "invalid_request", lambda c: order(c, amount="500000.01")),
    ("create_order", 409, "duplicate_order_id", lambda c: (order(c), order(c))),
    ("order_status", 404, "order_not_found", lambda c: c.order_status(order_id="NOPE")),
    ("bnpl_payment_modes", 404, "order_not_found", lambda c: c.bnpl_payment_modes(order_id="NOPE")),
    ("bnpl_payment_modes", 422, "order_not_payable", lambda c: (paid(c), c.bnpl_payment_modes(order_id="ORD1"))),
    ("transaction_status", 404, "transaction_not_found", lambda c: c.transaction_status(transaction_id="EKT0")),
    ("submit_payment_detail", 400, "invalid_request", lambda c: (order(c), c.submit_payment_detail(
        order_id="ORD1", amount="1000.00", payment_mode="CREDIT_CARD",
        card=CardDetail("Asha Rao", "4100000000000002", "123", "12/39")))),
    ("submit_payment_detail", 400, "invalid_request", lambda c: (order(c), c.submit_payment_detail(
        order_id="ORD1", amount="1000.00", payment_mode="UPI", vpa="invalid@enkash"))),
    ("submit_payment_detail", 404, "order_not_found", lambda c: c.submit_payment_detail(
        order_id="NOPE", amount="1.00", payment_mode="UPI", vpa="success@enkash")),
    ("submit_payment_detail", 422, "amount_mismatch", lambda c: (order(c), c.submit_payment_detail(
        order_id="ORD1", amount="999.99", payment_mode="CREDIT_CARD", card=CARD_OK))),
    ("submit_payment_detail", 422, "order_not_payable", lambda c: (paid(c), c.submit_payment_detail(
        order_id="ORD1", amount="1000.00", payment_mode="CREDIT_CARD", card=CARD_OK))),
    ("submit_payment_detail", 422, "payment_mode_disabled", lambda c: (order(c), c.submit_payment_detail(
        order_id="ORD1", amount="1000.00", payment_mode="CORPORATE_CARD",
        card=CardDetail("Asha Rao", "5200000000000007", "123", "12/39")))),
    ("submit_payment_detail", 422, "bnpl_option_unavailable", lambda c: (order(c, amount="50.00"),
        c.submit_payment_detail(order_id="ORD1", amount="50.00", payment_mode="PAY_LATER",
                                bnpl_payment_option_id="bnpl_enkash_test"))),
    ("refund", 400, "invalid_request", lambda c: c.refund(
        transaction_id=paid(c).transaction_id, amount="1.00", request_id="not valid!")),
    ("refund", 404, "transaction_not_found", lambda c: c.refund(transaction_id="EKT0", amount="1.00",
                                                                request_id="rf-1")),
    ("refund", 409, "refund_request_conflict", lambda c: (t := paid(c), c.refund(
        transaction_id=t.transaction_id, amount="1.00", request_id="rf-1"), c.refund(
        transaction_id=t.transaction_id, amount="2.00", request_id="rf-1"))),
    ("refund", 422, "refund_exceeds_balance", lambda c: c.refund(
        transaction_id=paid(c).transaction_id, amount="1000.01", request_id="rf-1")),
    ("refund", 422, "not_refundable", lambda c: c.refund(
        transaction_id=failed_payment(c).transaction_id, amount="1.00", request_id="rf-1")),
    ("upi_intent_link", 404, "order_not_found", lambda c: c.upi_intent_link(order_id="NOPE")),
    ("upi_intent_link", 422, "order_not_payable", lambda c: (paid(c), c.upi_intent_link(order_id="ORD1"))),
    ("dynamic_qr_code", 404, "order_not_found", lambda c: c.dynamic_qr_code(order_id="NOPE")),
    ("dynamic_qr_code", 422, "order_not_payable", lambda c: (paid(c), c.dynamic_qr_code(order_id="ORD1"))),
    ("settlement_payout", 404, "settlement_payout_not_found", lambda c: c.settlement_payout(payout_id="EKSP0")),
    ("search_settlement_payouts", 400, "invalid_request", lambda c: c.search_settlement_payouts(order_by="utr")),
    ("create_qr_customer", 400, "invalid_request", lambda c: c.create_qr_customer(name="Ravi", mobile="12345")),
    ("create_qr_customer", 409, "duplicate_customer", lambda c: (
        c.create_qr_customer(name="Ravi", mobile="9123456780"), c.create_qr_customer(name="R", mobile="9123456780"))),
    ("search_qr_customers", 400, "invalid_request", lambda c: c.search_qr_customers(mobile="12")),
    ("create_qr_code", 400, "invalid_request", lambda c: c.create_qr_code(
        name="Old", multiple_use=True, expires_at=datetime.now(UTC) - timedelta(minutes=1))),
    ("create_qr_code", 404, "customer_not_found", lambda c: c.create_qr_code(
        name="Q", multiple_use=True, customer_id="EKC0")),
    ("search_qr_codes", 400, "invalid_request", lambda c: c.search_qr_codes(status="EXPIRED")),
    ("get_qr_code", 404, "qr_code_not_found", lambda c: c.get_qr_code(qr_code_id="EKQR0")),
    ("cancel_qr_code", 404, "qr_code_not_found", lambda c: c.cancel_qr_code(qr_code_id="EKQR0")),
]


@pytest.mark.parametrize(("operation", "status", "code", "provoke"), SCENARIOS,
                         ids=[f"{s[0]}-{s[1]}-{s[2]}" for s in SCENARIOS])
def test_documented_failure(client, sb, operation, status, code, provoke):
    with pytest.raises(ProviderRejected) as caught:
        provoke(client)
    error = caught.value
    assert (error.operation, error.http_status, error.code) == (operation, status, code)
    assert status in DOCUMENTED[operation]
    assert_readable(error)
    assert error.upstream_message


def test_every_documented_status_has_a_scenario():
    covered = {(op, status) for op, status, _, _ in SCENARIOS}
    wanted = {(op, s) for op, statuses in DOCUMENTED.items() if op != "authorization_token" for s in statuses}
    assert wanted == covered


def test_invalid_request_sentence_carries_enkash_reason(client, sb):
    with pytest.raises(ProviderRejected) as caught:
        order(client, order_id="ORD-1")
    assert caught.value.message == "EnKash rejected the request: orderId must be 1 to 40 letters and digits."


# -- the token call ------------------------------------------------------------------------
@pytest.mark.parametrize(("access_key", "secret_key", "status", "code"), [
    ("", "x" * 12, 400, "invalid_request"),
    (DEMO_MERCHANT.access_key, "enk_test_sk_wrong_000000000000", 401, "invalid_credentials"),
    (INACTIVE_MERCHANT.access_key, INACTIVE_MERCHANT.secret_key, 403, "merchant_inactive"),
])
def test_token_failures(sandbox, sb, access_key, secret_key, status, code):
    client = fast_client(sandbox, "enkash", access_key=access_key, secret_key=secret_key)
    cls = ProviderRejected if status == 400 else ProviderAuthenticationError
    with pytest.raises(cls) as caught:
        client.check()
    error = caught.value
    assert (error.operation, error.http_status, error.code) == ("authorization_token", status, code)
    assert_readable(error)
    assert [r.path for r in sb.received] == ["/api/v0/merchant/token"]  # not retried


# -- 401 and 403 on every authenticated operation --------------------------------------------
CALLS = {
    "create_order": lambda c: order(c),
    "order_status": lambda c: c.order_status(order_id="ORD1"),
    "bnpl_payment_modes": lambda c: c.bnpl_payment_modes(order_id="ORD1"),
    "transaction_status": lambda c: c.transaction_status(transaction_id="EKT1"),
    "submit_payment_detail": lambda c: c.submit_payment_detail(
        order_id="ORD1", amount="1.00", payment_mode="UPI", vpa="success@enkash"),
    "refund": lambda c: c.refund(transaction_id="EKT1", amount="1.00", request_id="rf-1"),
    "upi_intent_link": lambda c: c.upi_intent_link(order_id="ORD1"),
    "dynamic_qr_code": lambda c: c.dynamic_qr_code(order_id="ORD1"),
    "settlement_payout": lambda c: c.settlement_payout(payout_id="EKSP1"),
    "search_settlement_payouts": lambda c: c.search_settlement_payouts(),
    "create_qr_customer": lambda c: c.create_qr_customer(name="Ravi"),
    "search_qr_customers": lambda c: c.search_qr_customers(),
    "create_qr_code": lambda c: c.create_qr_code(name="Q", multiple_use=True),
    "search_qr_codes": lambda c: c.search_qr_codes(),
    "get_qr_code": lambda c: c.get_qr_code(qr_code_id="EKQR1"),
    "cancel_qr_code": lambda c: c.cancel_qr_code(qr_code_id="EKQR1"),
}


def test_every_operation_is_exercised_for_auth_failures():
    assert set(CALLS) == set(DOCUMENTED) - {"authorization_token"}


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_401_after_renewal_is_token_rejected(client, sb, operation):
    with sb.lock:
        sb.configure({"reject_tokens": True})
    with pytest.raises(ProviderAuthenticationError) as caught:
        CALLS[operation](client)
    error = caught.value
    assert (error.operation, error.http_status, error.code) == (operation, 401, "token_rejected")
    assert_readable(error)
    assert sum(r.path != "/api/v0/merchant/token" for r in sb.received) == 2  # first try + one after renewal


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_403_when_the_merchant_is_deactivated(client, sb, operation):
    client.authorization_token()
    with sb.lock:
        sb.configure({"deactivate": DEMO_MERCHANT.access_key})
    with pytest.raises(ProviderAuthenticationError) as caught:
        CALLS[operation](client)
    error = caught.value
    assert (error.operation, error.http_status, error.code) == (operation, 403, "merchant_inactive")
    assert_readable(error)
    assert len(sb.received) == 2  # token, then the call once: a 403 is not a stale token


def test_a_foreign_merchant_access_key_header_is_403(client, sb, sandbox):
    token = client.authorization_token().token
    answer = requests.get(f"{sandbox.base_url('enkash')}/api/v0/orders/ORD1", timeout=5,
                          headers={"Authorization": f"Bearer {token}", "merchantAccessKey": "enk_test_ak_other"})
    assert answer.status_code == 403
    assert answer.json() == {"response_code": 4004, "payload": None,
                             "response_message": "merchantAccessKey does not match the token."}


# -- failures under HTTP 200 (the envelope's code decides) ------------------------------------
def test_non_zero_response_code_under_http_200_is_a_failure(client, sb):
    with sb.lock:
        sb.configure({"errors_as_http_200": True})
    with pytest.raises(ProviderRejected) as caught:
        client.order_status(order_id="NOPE")
    assert (caught.value.http_status, caught.value.code) == (200, "order_not_found")


def test_token_refusal_under_http_200_is_still_renewed_once(client, sb):
    order(client)
    with sb.lock:
        sb.configure({"errors_as_http_200": True, "revoke_tokens": True})
    assert client.order_status(order_id="ORD1").order_id == "ORD1"
    assert [r.path for r in sb.received][-3:] == ["/api/v0/orders/ORD1", "/api/v0/merchant/token",
                                                  "/api/v0/orders/ORD1"]


def test_bad_credentials_under_http_200(sandbox, sb):
    with sb.lock:
        sb.configure({"errors_as_http_200": True})
    client = fast_client(sandbox, "enkash", secret_key="enk_test_sk_wrong_000000000000")
    with pytest.raises(ProviderAuthenticationError) as caught:
        client.authorization_token()
    assert (caught.value.http_status, caught.value.code) == (200, "invalid_credentials")


# -- checks made before any request ---------------------------------------------------------
def assert_refused_locally(sb, error, operation: str, code: str) -> None:
    """Refused by the client: a ProviderInputError, no HTTP status, nothing sent (not even
    a token request)."""
    assert type(error) is ProviderInputError
    assert isinstance(error, ProviderRejected) and isinstance(error, ValueError)
    assert (error.provider, error.operation, error.code, error.http_status) == ("enkash", operation, code, None)
    assert_readable(error)
    assert len(sb.received) == 0


@pytest.mark.parametrize(("amount", "reason"), [
    (Decimal("0"), "at least 0.01"),
    (Decimal("0.001"), "two decimal places"),
    (Decimal("-5"), "at least 0.01"),
    ("abc", "not a number"),
    (10.5, "not a float"),
    (Money(Decimal("10"), "AUD"), "INR only"),
])
def test_amounts_are_checked_before_sending(client, sb, amount, reason):
    with pytest.raises(ProviderInputError) as caught:
        client.create_order(order_id="ORD1", amount=amount, return_url="https://r.example", notify_url=NOWHERE)
    assert_refused_locally(sb, caught.value, "create_order", "invalid_amount")
    assert reason in caught.value.message


@pytest.mark.parametrize("ifsc", ["HDFC1234567", "HDF00001234", "HDFC00012345", "", "HDFC-001234"])
def test_ifsc_is_checked_before_a_payment_is_sent(client, sb, ifsc):
    with pytest.raises(ProviderInputError) as caught:
        client.submit_payment_detail(order_id="ORD1", amount="1.00", payment_mode="NET_BANKING", bank_code="HDFC",
                                     account_number="123456789012", ifsc=ifsc)
    assert_refused_locally(sb, caught.value, "submit_payment_detail", "invalid_ifsc")


def test_lower_case_ifsc_is_normalised(client, sb):
    order(client)
    client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="NET_BANKING", bank_code="HDFC",
                                 account_number="123456789012", ifsc="hdfc0001234")
    assert b'"ifsc": "HDFC0001234"' in sb.received[-1].body


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"payment_mode": "CHEQUE"}, "invalid_payment_mode"),
    ({"payment_mode": "CREDIT_CARD"}, "invalid_payment_detail"),
    ({"payment_mode": "UPI"}, "invalid_request"),
    ({"payment_mode": "PAY_LATER"}, "invalid_request"),
    ({"payment_mode": "WALLET"}, "invalid_request"),
])
def test_payment_mode_fields_are_checked_before_sending(client, sb, kwargs, code):
    with pytest.raises(ProviderInputError) as caught:
        client.submit_payment_detail(order_id="ORD1", amount="1.00", **kwargs)
    assert_refused_locally(sb, caught.value, "submit_payment_detail", code)


@pytest.mark.parametrize("kwargs", [{"limit": 5001}, {"limit": 0}, {"offset": -1}, {"direction": "UP"}])
def test_search_paging_is_checked_before_sending(client, sb, kwargs):
    with pytest.raises(ProviderInputError) as caught:
        client.search_settlement_payouts(**kwargs)
    assert_refused_locally(sb, caught.value, "search_settlement_payouts", "invalid_request")


def test_refund_needs_a_request_id(client, sb):
    with pytest.raises(ProviderInputError) as caught:
        client.refund(transaction_id="EKT1", amount="1.00", request_id="")
    assert_refused_locally(sb, caught.value, "refund", "invalid_request")
    assert caught.value.message == "The refund request id is required."


def test_qr_expiry_needs_a_time_zone(client, sb):
    with pytest.raises(ProviderInputError) as caught:
        client.create_qr_code(name="Q", multiple_use=True, expires_at=datetime(2030, 1, 1))
    assert_refused_locally(sb, caught.value, "create_qr_code", "invalid_request")


def test_an_empty_id_is_refused_before_sending(client, sb):
    with pytest.raises(ProviderInputError) as caught:
        client.order_status(order_id=" ")
    assert_refused_locally(sb, caught.value, "order_status", "invalid_request")


def test_a_refused_card_payment_never_repeats_the_card(client, sb):
    with pytest.raises(ProviderInputError) as caught:
        client.submit_payment_detail(order_id="ORD1", amount="1.001", payment_mode="CREDIT_CARD", card=CARD_OK)
    assert_refused_locally(sb, caught.value, "submit_payment_detail", "invalid_amount")
    shown = f"{caught.value} {caught.value.as_dict()} {caught.value!r}"
    assert CARD_OK.number not in shown and "123" not in shown
