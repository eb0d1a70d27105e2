"""What goes over the wire to EnigmaPay, as the sandbox received it: auth headers and
the hash, paths, query strings, JSON bodies with exact decimal numbers; and the shapes
the sandbox answers with."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from schwifty import IBAN

from providers.enigmapay import testdata, wire
from providers.enigmapay.sandbox import CUSTOMER_IBAN_OK, TEST_API_KEY, TEST_SECRET_KEY
from tests.providers import enigmapay_support as enigmapay

client = enigmapay.client

EXPECTED_HASH = hashlib.sha256((TEST_API_KEY + TEST_SECRET_KEY).encode()).hexdigest()


def last(sandbox):
    return sandbox.sandbox("enigmapay").received[-1]


def assert_signed(request) -> None:
    assert request.headers["x-api-key"] == TEST_API_KEY
    assert request.headers["x-hash"] == EXPECTED_HASH
    assert len(request.headers["x-hash"]) == 64 and request.headers["x-hash"] == request.headers["x-hash"].lower()
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers


@pytest.mark.parametrize(
    ("call", "path", "query"),
    [
        (lambda c: c.settings(), "/settings", {}),
        (lambda c: c.ibans(), "/ibans", {}),
        (lambda c: c.iban_transactions(iban_id=1), "/transactions", {"iban_id": ["1"]}),
        (
            lambda c: c.iban_transactions(iban_id=2, start_date=date(2025, 11, 1), end_date=date(2025, 11, 26)),
            "/transactions",
            {"iban_id": ["2"], "start_date": ["2025-11-01"], "end_date": ["2025-11-26"]},
        ),
        (lambda c: c.transaction_status(transaction_id=1005), "/transaction-status", {"transaction_id": ["1005"]}),
    ],
)
def test_reads_are_signed_gets_with_query_parameters_and_no_body(sandbox, client, call, path, query):
    call(client)

    request = last(sandbox)
    assert (request.method, request.path) == ("GET", path)
    assert parse_qs(request.query) == query
    assert request.body == b""
    assert_signed(request)


def test_send_money_posts_the_documented_json_with_an_exact_decimal_amount(sandbox, client):
    client.send_money(username="user123", amount=Decimal("500.00"), customer_iban=CUSTOMER_IBAN_OK,
                      customer_name="John Doe", description="Withdrawal request")

    request = last(sandbox)
    assert (request.method, request.path, request.query) == ("POST", "/send-money", "")
    assert_signed(request)
    assert b'"amount": 500.00' in request.body
    assert json.loads(request.body, parse_float=Decimal) == {
        "username": "user123",
        "amount": Decimal("500.00"),
        "customer_iban": CUSTOMER_IBAN_OK,
        "customer_name": "John Doe",
        "description": "Withdrawal request",
    }


def test_send_money_leaves_out_an_empty_description_and_writes_two_decimals(sandbox, client):
    client.send_money(username="u", amount=Decimal("1234.5"), customer_iban=CUSTOMER_IBAN_OK, customer_name="J")

    body = json.loads(last(sandbox).body, parse_float=Decimal)
    assert "description" not in body
    assert b'"amount": 1234.50' in last(sandbox).body


def test_credit_card_payment_posts_the_documented_fields(sandbox, client):
    client.credit_card_payment(
        username="user123", firstname="Ayşe", lastname="Kaya", email="ayse@example.com", phone="05551112233",
        amount=Decimal("200"), description="Order 42",
    )

    request = last(sandbox)
    assert (request.method, request.path) == ("POST", "/credit-card/payment")
    assert_signed(request)
    assert json.loads(request.body, parse_float=Decimal) == {
        "username": "user123", "firstname": "Ayşe", "lastname": "Kaya", "email": "ayse@example.com",
        "phone": "05551112233", "amount": Decimal("200.00"), "description": "Order 42",
    }
    assert request.body.isascii(), "non-ASCII names travel as JSON \\u escapes"


# -- answers ----------------------------------------------------------------------------------------------
def signed_get(sandbox, path):
    headers = {"X-API-Key": TEST_API_KEY, "X-Hash": EXPECTED_HASH, "Accept": "application/json"}
    return requests.get(f"{sandbox.base_url('enigmapay')}{path}", headers=headers, timeout=5)


def test_settings_answer_has_the_documented_shape(sandbox):
    body = signed_get(sandbox, "/settings").json()

    assert body == {
        "success": True,
        "data": {
            "credit_card": {"status": "Aktif", "commission": "3.50"},
            "eiban": {"status": "Aktif", "deposit_commission": "0.00", "withdrawal_commission": "0.00",
                      "withdrawal_fee": "0.00"},
            "manual_iban": {"status": "Aktif", "deposit_commission": "0.00"},
        },
        "info": "Connection successful",
    }


def test_ibans_answer_has_the_documented_shape_with_numeric_balances(sandbox):
    response = signed_get(sandbox, "/ibans")

    assert response.headers["Content-Type"] == "application/json"
    assert '"balance": 125000.00' in response.text
    first = response.json()["data"][0]
    assert set(first) == {"id", "iban", "owner_name", "bank_name", "status", "balance", "formatted_balance"}
    assert first["formatted_balance"] == "125,000.00 ₺"


def test_transaction_status_answer_has_the_documented_shape(sandbox):
    data = signed_get(sandbox, "/transaction-status?transaction_id=1005").json()["data"]

    assert data == {"id": 1005, "status": "Completed", "amount": 1749.25,
                    "created_at": "2025-11-26 11:20:00", "completed_at": "2025-11-26 11:20:00"}


# -- helpers and test data -----------------------------------------------------------------------------------
def test_every_test_iban_is_a_valid_turkish_iban():
    names = [n for n in dir(testdata) if n.endswith("IBAN") or "_IBAN_" in n]
    ibans = [getattr(testdata, n) for n in names]

    assert len(ibans) == 9
    for value in ibans:
        assert IBAN(value).country_code == "TR" and wire.iban_problem(value) is None


def test_request_hash_is_hex_sha256_of_key_then_secret():
    assert wire.request_hash("your_api_key", "your_secret_key") == hashlib.sha256(
        b"your_api_keyyour_secret_key"
    ).hexdigest()


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2))
def test_dumps_writes_decimals_as_exact_json_numbers(amount):
    text = wire.dumps({"amount": amount, "nested": [{"fee": amount}]})

    assert json.loads(text, parse_float=Decimal) == {"amount": amount, "nested": [{"fee": amount}]}
    assert f'"amount": {amount:f}' in text


def test_dumps_keeps_a_string_that_looks_like_the_marker_a_string():
    assert json.loads(wire.dumps({"text": "500.00"})) == {"text": "500.00"}
