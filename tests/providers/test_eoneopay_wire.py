"""What the EoneoPay client puts on the wire, read from the sandbox's received requests:
HTTP Basic with the key as user name and an empty password, the doc's paths and
methods, and bodies that are one form field holding compact JSON."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from urllib.parse import parse_qs

from providers.base.money import Money
from providers.eoneopay import testdata as data
from providers.eoneopay.types import BankAccount, NewCard
from tests.helpers import fast_client
from tests.providers.eoneopay_support import state

FORM = "application/x-www-form-urlencoded"


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def last(sandbox):
    return state(sandbox).received[-1]


def form_json(request, field: str) -> tuple[str, dict]:
    """The single form field of a body, raw and parsed."""
    fields = parse_qs(request.body.decode(), strict_parsing=True)
    assert list(fields) == [field]
    (raw,) = fields[field]
    return raw, json.loads(raw)


def test_customer_create_sends_customer_equals_json(sandbox):
    fast_client(sandbox, "eoneopay").customer_create(
        name="Wire Test", email="wire@example.test", address="1 Line\nTown",
        cards=[NewCard(number="4000 0000 0000 0002", expiry_date="05/29", cvv="602")],
        bank_accounts=[BankAccount(name="Wire Test", number="128818", branch="032605")],
    )

    request = last(sandbox)
    assert (request.method, request.path, request.query) == ("POST", "/customers", "")
    assert request.headers["authorization"] == basic(data.SECRET_KEY)
    assert request.headers["content-type"] == FORM
    assert request.headers["accept"] == "application/json"
    raw, body = form_json(request, "customer")
    assert raw == (
        '{"name":"Wire Test","email":"wire@example.test","address":"1 Line\\nTown",'
        '"credit_cards":[{"number":"4000000000000002","expiry_date":"05/29","cvv":"602"}],'
        '"bank_accounts":[{"name":"Wire Test","number":"128818","branch":"032605"}]}'
    )
    assert body["credit_cards"][0]["number"] == data.CARD_APPROVED_VISA


def test_customer_update_puts_kept_cards_as_token_and_card_info(sandbox):
    client = fast_client(sandbox, "eoneopay")
    demo = client.customer_get(customer_id=data.DEMO_CUSTOMER_ID)

    client.customer_update(
        customer_id=demo.id, name=demo.name, email=demo.email, address=demo.address,
        cards=[demo.cards[0]], bank_accounts=demo.bank_accounts,
    )

    request = last(sandbox)
    assert (request.method, request.path) == ("PUT", f"/customers/{data.DEMO_CUSTOMER_ID}")
    assert request.headers["authorization"] == basic(data.SECRET_KEY)
    assert request.headers["content-type"] == FORM
    _, body = form_json(request, "customer")
    assert body["credit_cards"] == [{
        "token": data.DEMO_TOKEN_VISA,
        "creditCardInfo": {"pan": "400000XXXXXXX002", "expiryDate": "12/30", "cardType": "6", "cardDescription": "Visa"},
    }]
    assert body["bank_accounts"] == [{"name": "Demo Customer", "number": "12345678", "branch": "012003"}]


def test_payment_create_sends_payment_equals_json_in_cents(sandbox):
    fast_client(sandbox, "eoneopay").payment_create(
        token=data.DEMO_TOKEN_VISA, amount=Money(Decimal("742.00"), "AUD"), reference="Order 1/2"
    )

    request = last(sandbox)
    assert (request.method, request.path, request.query) == ("POST", "/payments", "")
    assert request.headers["authorization"] == basic(data.SECRET_KEY)
    assert request.headers["content-type"] == FORM
    raw, _ = form_json(request, "payment")
    assert raw == f'{{"token":"{data.DEMO_TOKEN_VISA}","reference":"Order 1/2","amount":74200,"currency":"AUD"}}'


def test_refund_is_a_delete_on_the_payment_with_no_body(sandbox):
    fast_client(sandbox, "eoneopay").payment_refund(txn_id=data.DEMO_PAYMENT_TXN_ID)

    request = last(sandbox)
    assert (request.method, request.path, request.query, request.body) == (
        "DELETE", f"/payments/{data.DEMO_PAYMENT_TXN_ID}", "", b""
    )
    assert request.headers["authorization"] == basic(data.SECRET_KEY)


def test_reads_and_deletes_carry_no_body(sandbox):
    client = fast_client(sandbox, "eoneopay")
    client.customer_list()
    client.customer_get(customer_id=data.DEMO_CUSTOMER_ID)
    client.customer_delete(customer_id=data.DEMO_CUSTOMER_ID)

    seen = [(r.method, r.path, r.query, r.body, r.headers["authorization"]) for r in state(sandbox).received]
    assert seen == [
        ("GET", "/customers", "", b"", basic(data.SECRET_KEY)),
        ("GET", f"/customers/{data.DEMO_CUSTOMER_ID}", "", b"", basic(data.SECRET_KEY)),
        ("DELETE", f"/customers/{data.DEMO_CUSTOMER_ID}", "", b"", basic(data.SECRET_KEY)),
    ]


def test_api_key_calls_authenticate_with_the_admin_key(sandbox):
    client = fast_client(sandbox, "eoneopay")
    pair = client.api_key_create()
    client.api_key_get(api_key=pair.secret_key)
    client.api_key_revoke(api_key=pair.secret_key)

    seen = [(r.method, r.path, r.body, r.headers["authorization"]) for r in state(sandbox).received]
    assert seen == [
        ("POST", "/apikeys", b"", basic(data.ADMIN_KEY)),
        ("GET", f"/apikeys/{pair.secret_key}", b"", basic(data.ADMIN_KEY)),
        ("DELETE", f"/apikeys/{pair.secret_key}", b"", basic(data.ADMIN_KEY)),
    ]
    assert "content-type" not in state(sandbox).received[1].headers
