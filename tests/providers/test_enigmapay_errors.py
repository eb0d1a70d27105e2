"""Every documented EnigmaPay failure of every operation → the Paydesk error class, a
stable code, the HTTP status and a readable sentence (README "Status mapping")."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
import requests

from providers.base.client import Reply
from providers.base.errors import ProviderAuthenticationError, ProviderError, ProviderRejected
from providers.enigmapay import wire
from providers.enigmapay.client import EnigmaPayClient
from providers.enigmapay.sandbox import (
    CARD_OFF_API_KEY,
    CARD_OFF_SECRET_KEY,
    CUSTOMER_IBAN_BLOCKED,
    CUSTOMER_IBAN_OK,
    TEST_API_KEY,
    TEST_SECRET_KEY,
)
from tests.helpers import FAST_RETRY, FAST_TIMEOUTS, fast_client
from tests.providers import enigmapay_support as enigmapay
from tests.providers.enigmapay_support import CannedSession

client = enigmapay.client


def assert_sentence(error: ProviderError) -> None:
    message = error.message
    assert message[0].isupper() and message.endswith("."), message
    assert "{" not in message and "None" not in message, message
    assert len(message.split()) >= 4, message


def pay_out(client, *, amount="500.00", iban=CUSTOMER_IBAN_OK, name="John Doe"):
    return client.send_money(username="user123", amount=Decimal(amount), customer_iban=iban, customer_name=name)


def card_payment(client, *, email="ayse@example.com"):
    return client.credit_card_payment(
        username="user123", firstname="Ayse", lastname="Kaya", email=email, phone="05551112233",
        amount=Decimal("250.00"),
    )


OPERATIONS = {
    "settings": lambda c: c.settings(),
    "ibans": lambda c: c.ibans(),
    "iban_transactions": lambda c: c.iban_transactions(iban_id=1),
    "send_money": pay_out,
    "transaction_status": lambda c: c.transaction_status(transaction_id=1005),
    "credit_card_payment": card_payment,
}


# -- 401 on every operation --------------------------------------------------------------------------
@pytest.mark.parametrize("operation", OPERATIONS)
def test_wrong_secret_key_is_an_authentication_error_on_every_operation(sandbox, operation):
    client = fast_client(sandbox, "enigmapay", secret_key="enigma_wrong_secret_0000")

    with pytest.raises(ProviderAuthenticationError) as caught:
        OPERATIONS[operation](client)

    error = caught.value
    assert (error.code, error.http_status, error.operation) == ("invalid_credentials", 401, operation)
    assert error.upstream_message == "Invalid hash."
    assert_sentence(error)


def test_unknown_api_key_is_an_authentication_error(sandbox):
    with pytest.raises(ProviderAuthenticationError) as caught:
        fast_client(sandbox, "enigmapay", api_key="enigma_unknown_key_0000").ibans()

    assert (caught.value.code, caught.value.http_status) == ("invalid_credentials", 401)
    assert caught.value.upstream_message == "Invalid API key."


def test_missing_auth_headers_get_401_with_success_false(sandbox):
    response = requests.get(f"{sandbox.base_url('enigmapay')}/settings", timeout=5)

    assert response.status_code == 401
    assert response.json() == {"success": False, "message": "API key and hash are required."}


def test_the_hash_must_be_of_the_key_and_secret_in_that_order(sandbox):
    reversed_hash = wire.request_hash(TEST_SECRET_KEY, TEST_API_KEY)
    response = requests.get(
        f"{sandbox.base_url('enigmapay')}/settings", headers={"X-API-Key": TEST_API_KEY, "X-Hash": reversed_hash},
        timeout=5,
    )

    assert response.status_code == 401
    assert response.json()["success"] is False


# -- iban transactions --------------------------------------------------------------------------------
@pytest.mark.parametrize("iban_id", [999, 4])  # 4 belongs to another dealer
def test_iban_transactions_of_an_iban_not_on_the_account_is_not_found(client, iban_id):
    with pytest.raises(ProviderRejected) as caught:
        client.iban_transactions(iban_id=iban_id)

    assert (caught.value.code, caught.value.http_status) == ("iban_not_found", 404)
    assert_sentence(caught.value)


def test_iban_transactions_with_end_before_start_is_invalid(client):
    with pytest.raises(ProviderRejected) as caught:
        client.iban_transactions(iban_id=1, start_date=date(2025, 11, 26), end_date=date(2025, 11, 1))

    assert (caught.value.code, caught.value.http_status) == ("invalid_request", 422)
    assert caught.value.message == (
        "EnigmaPay did not accept the request: The end date field must be a date after or equal to start date."
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("", "iban_id"), ("iban_id=abc", "iban_id"), ("iban_id=1&start_date=26.11.2025", "start_date")],
)
def test_sandbox_validates_transaction_query_parameters(sandbox, query, field):
    response = signed_get(sandbox, f"/transactions?{query}")

    assert response.status_code == 422
    assert response.json()["success"] is False
    assert list(response.json()["errors"]) == [field]


# -- send money ------------------------------------------------------------------------------------------
def test_send_money_beyond_every_iban_balance_is_insufficient_balance(sandbox, client):
    with pytest.raises(ProviderRejected) as caught:
        pay_out(client, amount="130000.00")  # more than any single IBAN holds; balances are not pooled

    assert (caught.value.code, caught.value.http_status) == ("insufficient_balance", 400)
    assert caught.value.upstream_message == "Insufficient balance."
    assert_sentence(caught.value)
    assert_nothing_moved(sandbox)


def test_send_money_to_a_blocked_iban_is_rejected_with_the_upstream_reason(sandbox, client):
    with pytest.raises(ProviderRejected) as caught:
        pay_out(client, iban=CUSTOMER_IBAN_BLOCKED)

    assert (caught.value.code, caught.value.http_status) == ("payout_rejected", 403)
    assert caught.value.message == "EnigmaPay refused the payout: Transfers to this IBAN are not allowed."
    assert_nothing_moved(sandbox)


def test_send_money_without_an_account_holder_name_is_invalid(sandbox, client):
    with pytest.raises(ProviderRejected) as caught:
        pay_out(client, name="")

    assert (caught.value.code, caught.value.http_status) == ("invalid_request", 422)
    assert caught.value.message == "EnigmaPay did not accept the request: The customer name field is required."
    assert_nothing_moved(sandbox)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer_iban": "TR000006400000000000001001"}, "customer_iban"),
        ({"customer_iban": "DE89370400440532013000"}, "customer_iban"),
        ({"amount": 0}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"amount": True}, "amount"),
        ({"username": None}, "username"),
    ],
)
def test_sandbox_validates_send_money_fields(sandbox, changes, field):
    body = {"username": "u", "amount": "10.00", "customer_iban": CUSTOMER_IBAN_OK, "customer_name": "J", **changes}

    response = signed_post(sandbox, "/send-money", body)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert_nothing_moved(sandbox)


# -- transaction status ---------------------------------------------------------------------------------
@pytest.mark.parametrize("transaction_id", [999999, 1008])  # 1008 belongs to another dealer
def test_transaction_status_of_an_unknown_transaction_is_not_found(client, transaction_id):
    with pytest.raises(ProviderRejected) as caught:
        client.transaction_status(transaction_id=transaction_id)

    assert (caught.value.code, caught.value.http_status) == ("transaction_not_found", 404)
    assert_sentence(caught.value)


def test_transaction_status_with_id_zero_is_invalid(client):
    with pytest.raises(ProviderRejected) as caught:
        client.transaction_status(transaction_id=0)

    assert (caught.value.code, caught.value.http_status) == ("invalid_request", 422)
    assert_sentence(caught.value)


# -- credit card payment ------------------------------------------------------------------------------
def test_credit_card_payment_for_a_dealer_without_the_feature_is_refused(sandbox):
    client = fast_client(sandbox, "enigmapay", api_key=CARD_OFF_API_KEY, secret_key=CARD_OFF_SECRET_KEY)
    assert client.settings().credit_card.active is False

    with pytest.raises(ProviderRejected) as caught:
        card_payment(client)

    assert (caught.value.code, caught.value.http_status) == ("credit_card_disabled", 403)
    assert_sentence(caught.value)


def test_credit_card_payment_with_a_bad_email_is_invalid(client):
    with pytest.raises(ProviderRejected) as caught:
        card_payment(client, email="not-an-email")

    assert (caught.value.code, caught.value.http_status) == ("invalid_request", 422)
    assert caught.value.upstream_message == "The email field must be a valid email address."


def test_sandbox_enforces_the_200_tl_card_minimum_too(sandbox):
    body = {"username": "u", "firstname": "A", "lastname": "B", "email": "a@example.com", "phone": "05551112233",
            "amount": 199.99}

    response = signed_post(sandbox, "/credit-card/payment", body)

    assert response.status_code == 422
    assert response.json()["errors"] == {"amount": ["The amount must be at least 200."]}


@pytest.mark.parametrize(
    ("field", "code"), [("amount", "invalid_amount"), ("customer_iban", "invalid_iban"), ("phone", "invalid_request")]
)
def test_a_422_is_classified_by_the_field_it_names(client, field, code):
    body = {"success": False, "message": "The field is invalid.", "errors": {field: ["The field is invalid."]}}
    reply = Reply(status=422, body=body, text=json.dumps(body))

    error = client._invalid_fields("send_money")(reply)

    assert (type(error), error.code, error.http_status) == (ProviderRejected, code, 422)


def test_undocumented_routes_and_methods_answer_with_success_false(sandbox):
    wrong_method = signed_get(sandbox, "/send-money")
    unknown = signed_get(sandbox, "/nothing-here")

    assert (wrong_method.status_code, wrong_method.json()["success"]) == (405, False)
    assert (unknown.status_code, unknown.json()["success"]) == (404, False)


# -- helpers ----------------------------------------------------------------------------------------------
def auth_headers() -> dict[str, str]:
    return {"X-API-Key": TEST_API_KEY, "X-Hash": wire.request_hash(TEST_API_KEY, TEST_SECRET_KEY),
            "Accept": "application/json", "Content-Type": "application/json"}


def signed_get(sandbox, path: str) -> requests.Response:
    return requests.get(f"{sandbox.base_url('enigmapay')}{path}", headers=auth_headers(), timeout=5)


def signed_post(sandbox, path: str, body: dict) -> requests.Response:
    return requests.post(f"{sandbox.base_url('enigmapay')}{path}", json=body, headers=auth_headers(), timeout=5)


def assert_nothing_moved(sandbox) -> None:
    live = sandbox.sandbox("enigmapay")
    assert [i.balance for i in live.ibans.values()][:2] == [Decimal("125000.00"), Decimal("48250.75")]
    assert max(live.transactions) < 5001, "no transaction was created"


def test_a_2xx_saying_success_false_is_a_refusal_not_a_success():
    session = CannedSession(200, {"success": False, "message": "Daily withdrawal limit exceeded"})
    client = EnigmaPayClient(base_url="http://enigmapay.invalid/api/dealer", api_key=TEST_API_KEY,
                             secret_key=TEST_SECRET_KEY, session=session, timeouts=FAST_TIMEOUTS, retry=FAST_RETRY)

    with pytest.raises(ProviderRejected) as caught:
        pay_out(client)

    assert (caught.value.code, caught.value.http_status) == ("declined", 200)
    assert caught.value.message == "EnigmaPay declined the request: Daily withdrawal limit exceeded."
    assert session.calls == 1
