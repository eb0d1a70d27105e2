"""Every documented status (400, 401, 403, 404, 405, 406, 410, 429, 500, 503) of every
EoneoPay operation maps to one error class, a stable code and a readable sentence; and
the sandbox's own triggers (keys, ids, test cards, amounts) produce them for real."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from providers.base.errors import (
    ProviderAuthenticationError,
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
)
from providers.base.money import Money
from providers.eoneopay import testdata as data
from providers.eoneopay.types import NewCard
from tests.helpers import fast_client
from tests.providers.eoneopay_support import new_customer, state

CALLS = {
    "api_key_create": lambda c: c.api_key_create(),
    "api_key_get": lambda c: c.api_key_get(api_key=data.SECRET_KEY),
    "api_key_revoke": lambda c: c.api_key_revoke(api_key=data.SECRET_KEY),
    "customer_create": lambda c: c.customer_create(
        name="Err Case", email="err@example.test", cards=[NewCard(data.CARD_APPROVED_VISA, "12/30", "123")]
    ),
    "customer_update": lambda c: c.customer_update(
        customer_id=data.DEMO_CUSTOMER_ID, name="Demo Customer", email="demo.customer@example.test"
    ),
    "customer_delete": lambda c: c.customer_delete(customer_id=data.DEMO_CUSTOMER_ID),
    "customer_get": lambda c: c.customer_get(customer_id=data.DEMO_CUSTOMER_ID),
    "customer_list": lambda c: c.customer_list(),
    "payment_create": lambda c: c.payment_create(
        token=data.DEMO_TOKEN_VISA, amount=Money(Decimal("12.00"), "AUD"), reference="err"
    ),
    "payment_refund": lambda c: c.payment_refund(txn_id=data.DEMO_PAYMENT_TXN_ID),
}
MONEY = {"payment_create", "payment_refund"}
RETRIED = {"api_key_get", "customer_get", "customer_list", "customer_update"}  # GETs, and a PUT with no new card

CLASSES = {
    400: ProviderRejected, 401: ProviderAuthenticationError, 403: ProviderAuthenticationError,
    404: ProviderRejected, 405: ProviderRejected, 406: ProviderRejected, 410: ProviderRejected,
    429: ProviderUnavailable, 500: ProviderUnavailable, 503: ProviderUnavailable,
}
CODES = {
    400: "bad_request", 401: "authentication_failed", 403: "admin_key_required", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 410: "gone", 429: "rate_limited",
    500: "server_error", 503: "service_unavailable",
}
OPERATION_CODES = {
    "api_key_create": {404: "api_key_not_found", 410: "api_key_revoked"},
    "api_key_get": {404: "api_key_not_found", 410: "api_key_revoked"},
    "api_key_revoke": {404: "api_key_not_found", 410: "api_key_revoked"},
    "customer_create": {400: "invalid_customer"},
    "customer_update": {400: "invalid_customer", 404: "customer_not_found", 410: "customer_deleted"},
    "customer_delete": {404: "customer_not_found", 410: "customer_deleted"},
    "customer_get": {404: "customer_not_found", 410: "customer_deleted"},
    "payment_create": {400: "invalid_payment", 404: "card_not_found", 410: "card_removed"},
    "payment_refund": {400: "refund_invalid", 404: "payment_not_found", 410: "already_refunded"},
}


def force(sandbox, operation: str, *statuses: int) -> None:
    """Make the next calls of ``operation`` answer ``statuses`` (the sandbox does not act)."""
    response = requests.post(
        f"{sandbox.url}/_sandbox/config",
        json={"provider": "eoneopay", "next_status": {operation: list(statuses)}},
        timeout=5,
    )
    assert response.json()["next_status"] == {operation: list(statuses)}


def assert_readable(error: ProviderError) -> None:
    assert error.message[0].isupper() and error.message.endswith("."), error.message
    assert len(error.message.split()) >= 5 and "http_" not in error.message


@pytest.mark.parametrize("status", sorted(CLASSES))
@pytest.mark.parametrize("operation", sorted(CALLS))
def test_every_documented_status_of_every_operation(sandbox, operation, status):
    retried = status >= 500 and operation in RETRIED
    force(sandbox, operation, *([status] * (3 if retried else 1)))

    with pytest.raises(ProviderError) as caught:
        CALLS[operation](fast_client(sandbox, "eoneopay"))

    error = caught.value
    if status == 500 and operation in MONEY:
        assert type(error) is ProviderOutcomeUnknown and error.code == "outcome_unknown_http_500"
    else:
        assert type(error) is CLASSES[status]
        assert error.code == OPERATION_CODES.get(operation, {}).get(status, CODES[status])
    assert (error.http_status, error.operation, error.provider) == (status, operation, "eoneopay")
    assert_readable(error)
    assert len(state(sandbox).received) == (3 if retried else 1)


# -- the same statuses from the sandbox's own triggers -----------------------------------
@pytest.mark.parametrize(
    ("secret_key", "problem"),
    [
        ("sk_test_NoSuchKey000000000000000", "Invalid API key provided."),
        (data.REVOKED_KEY, "This API key has been revoked."),
        (data.LIVE_KEY, "Live keys cannot be used in the sandbox: use an sk_test_ key."),
    ],
)
def test_unknown_revoked_and_live_keys_get_401(sandbox, secret_key, problem):
    with pytest.raises(ProviderAuthenticationError) as caught:
        fast_client(sandbox, "eoneopay", secret_key=secret_key).customer_list()
    assert (caught.value.code, caught.value.http_status) == ("authentication_failed", 401)
    assert caught.value.upstream_message == problem


def test_basic_auth_needs_an_empty_password_and_a_key(sandbox):
    url = f"{sandbox.base_url('eoneopay')}/customers"
    with_password = requests.get(url, auth=(data.SECRET_KEY, "x"), timeout=5)
    without_auth = requests.get(url, timeout=5)
    assert with_password.status_code == without_auth.status_code == 401
    assert without_auth.headers["WWW-Authenticate"] == 'Basic realm="EoneoPay"'
    assert without_auth.json() == {"code": 401, "message": "No API key provided: send it as the HTTP Basic user name."}


def test_a_standard_key_in_the_admin_key_slot_gets_403(sandbox):
    with pytest.raises(ProviderAuthenticationError) as caught:
        fast_client(sandbox, "eoneopay", admin_key=data.SECRET_KEY).api_key_create()
    assert (caught.value.code, caught.value.http_status) == ("admin_key_required", 403)
    assert "administrator permissions" in caught.value.message


def test_unknown_records_get_404(sandbox):
    client = fast_client(sandbox, "eoneopay")
    cases = [
        (lambda: client.customer_get(customer_id="cus_NoSuchCustomer01"), "customer_not_found"),
        (lambda: client.api_key_get(api_key="sk_test_NoSuchKey000000000000000"), "api_key_not_found"),
        (lambda: client.payment_refund(txn_id="999999"), "payment_not_found"),
        (lambda: client.payment_create(token="8899999999999999", amount=Money(Decimal("1.00"), "AUD"),
                                       reference="x"), "card_not_found"),
    ]
    for call, code in cases:
        with pytest.raises(ProviderRejected) as caught:
            call()
        assert (caught.value.code, caught.value.http_status) == (code, 404)


def test_a_revoked_key_cannot_be_revoked_again(sandbox):
    with pytest.raises(ProviderRejected) as caught:
        fast_client(sandbox, "eoneopay").api_key_revoke(api_key=data.REVOKED_KEY)
    assert (caught.value.code, caught.value.http_status) == ("api_key_revoked", 410)


def test_a_wrong_method_gets_405_from_the_sandbox(sandbox):
    response = requests.patch(f"{sandbox.base_url('eoneopay')}/customers", auth=(data.SECRET_KEY, ""), timeout=5)
    assert response.status_code == 405 and response.json()["code"] == 405


@pytest.mark.parametrize(
    ("card", "upstream"),
    [
        (NewCard(data.CARD_BAD_LUHN, "12/30", "123"), "The card number is not valid."),
        (NewCard(data.CARD_UNSUPPORTED, "12/30", "123"),
         "Only Visa, Master Card and American Express cards are accepted."),
        (NewCard(data.CARD_APPROVED_VISA, "2030-12", "123"), "The card's expiry date must be MM/YY."),
        (NewCard(data.CARD_APPROVED_AMEX, "12/30", "123"), "The card's CVV is not valid."),
    ],
)
def test_bad_cards_get_400_on_customer_create(sandbox, card, upstream):
    with pytest.raises(ProviderRejected) as caught:
        new_customer(fast_client(sandbox, "eoneopay"), card)
    assert (caught.value.code, caught.value.http_status) == ("invalid_customer", 400)
    assert caught.value.upstream_message == upstream
    assert len(state(sandbox).customers) == 1  # only the demo customer


@pytest.mark.parametrize(
    ("reference", "upstream"),
    [("", "The payment needs a reference of at most 60 characters."),
     ("r" * 61, "The payment needs a reference of at most 60 characters.")],
)
def test_a_payment_without_a_usable_reference_gets_400(sandbox, reference, upstream):
    with pytest.raises(ProviderRejected) as caught:
        fast_client(sandbox, "eoneopay").payment_create(
            token=data.DEMO_TOKEN_VISA, amount=Money(Decimal("1.00"), "AUD"), reference=reference
        )
    assert (caught.value.code, caught.value.upstream_message) == ("invalid_payment", upstream)


def test_a_payment_above_the_limit_gets_400(sandbox):
    with pytest.raises(ProviderRejected) as caught:
        fast_client(sandbox, "eoneopay").payment_create(
            token=data.DEMO_TOKEN_VISA, amount=Money(Decimal("1000000.00"), "AUD"), reference="big"
        )
    assert (caught.value.code, caught.value.http_status) == ("invalid_payment", 400)


@pytest.mark.parametrize(
    ("amount", "cls", "code", "charged"),
    [
        (data.AMOUNT_RATE_LIMITED, ProviderUnavailable, "rate_limited", False),
        (data.AMOUNT_UNAVAILABLE, ProviderUnavailable, "service_unavailable", False),
        (data.AMOUNT_SERVER_ERROR, ProviderOutcomeUnknown, "outcome_unknown_http_500", True),
    ],
)
def test_payment_amounts_trigger_errors(sandbox, amount, cls, code, charged):
    with pytest.raises(cls) as caught:
        fast_client(sandbox, "eoneopay").payment_create(
            token=data.DEMO_TOKEN_VISA, amount=Money.from_minor(amount, "AUD"), reference="trigger"
        )
    assert caught.value.code == code
    assert len(state(sandbox).received) == 1
    assert any(p["amount"] == amount for p in state(sandbox).payments.values()) is charged


@pytest.mark.parametrize(
    ("amount", "cls", "code", "refunded"),
    [
        (data.AMOUNT_REFUND_RATE_LIMITED, ProviderUnavailable, "rate_limited", False),
        (data.AMOUNT_REFUND_UNAVAILABLE, ProviderUnavailable, "service_unavailable", False),
        (data.AMOUNT_REFUND_SERVER_ERROR, ProviderOutcomeUnknown, "outcome_unknown_http_500", True),
    ],
)
def test_payment_amounts_trigger_refund_errors(sandbox, amount, cls, code, refunded):
    client = fast_client(sandbox, "eoneopay")
    payment = client.payment_create(
        token=data.DEMO_TOKEN_VISA, amount=Money.from_minor(amount, "AUD"), reference="refund trigger"
    )
    with pytest.raises(cls) as caught:
        client.payment_refund(txn_id=payment.txn_id)
    assert caught.value.code == code
    assert (state(sandbox).payments[payment.txn_id]["status"] == "refunded") is refunded
