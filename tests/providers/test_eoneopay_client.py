"""EoneoPay client against the running sandbox over real HTTP: every operation, its
typed result, and the refusals carried in 2xx answers (declines, "00" codes)."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from providers.base.errors import (
    ProviderAuthenticationError,
    ProviderError,
    ProviderInputError,
    ProviderInvalidResponse,
    ProviderOutcomeUnknown,
    ProviderRejected,
)
from providers.base.money import Money
from providers.eoneopay import testdata as data
from providers.eoneopay.client import EoneoPayClient, key_mode
from providers.eoneopay.errors import CardDeclined, answer_code, is_success
from providers.eoneopay.types import BankAccount, NewCard
from tests.helpers import FAST_RETRY, FAST_TIMEOUTS, fast_client
from tests.providers.eoneopay_support import new_customer, state


def aud(text: str) -> Money:
    return Money(Decimal(text), "AUD")


def assert_refused_locally(sandbox, error: ProviderError, operation: str, code: str) -> None:
    """Refused by the client before sending: ProviderInputError, no status, no request."""
    assert type(error) is ProviderInputError
    assert isinstance(error, ProviderRejected) and isinstance(error, ValueError)
    assert (error.provider, error.operation, error.code, error.http_status) == ("eoneopay", operation, code, None)
    assert error.message[0].isupper() and error.message.endswith("."), error.message
    assert len(state(sandbox).received) == 0


VISA = NewCard(number=data.CARD_APPROVED_VISA, expiry_date="12/30", cvv="123")


# -- customers ---------------------------------------------------------------------------
def test_customer_create_tokenises_every_card_brand_and_returns_masked_pans(sandbox):
    client = fast_client(sandbox, "eoneopay")
    customer = new_customer(
        client,
        VISA,
        NewCard(number=data.CARD_APPROVED_MASTERCARD, expiry_date="01/29", cvv="321"),
        NewCard(number=data.CARD_APPROVED_MASTERCARD_2SERIES, expiry_date="02/29", cvv="111"),
        NewCard(number=data.CARD_APPROVED_AMEX, expiry_date="03/29", cvv="1234"),
    )

    assert customer.id.startswith("cus_") and len(customer.id) == 20
    assert (customer.name, customer.email) == ("Ann Example", "ann.example@example.test")
    assert customer.address == "2 Test Lane\nHobart TAS 7000"
    assert [(c.masked_pan, c.card_type, c.description) for c in customer.cards] == [
        ("400000XXXXXXX002", "6", "Visa"),
        ("555500XXXXXXX008", "5", "Master Card"),
        ("222100XXXXXXX009", "5", "Master Card"),
        ("370000XXXXXX002", "2", "American Express"),
    ]
    assert [c.expiry_date for c in customer.cards] == ["12/30", "01/29", "02/29", "03/29"]
    tokens = [c.token for c in customer.cards]
    assert len(set(tokens)) == 4 and all(t.isdigit() and len(t) == 16 for t in tokens)
    assert customer.bank_accounts == (BankAccount(name="Ann Example", number="12345678", branch="012003"),)
    # The sandbox, like EoneoPay, keeps no card number.
    stored = json.dumps(state(sandbox).customers[customer.id])
    assert data.CARD_APPROVED_VISA not in stored and data.CARD_APPROVED_AMEX not in stored


def test_customer_get_and_list_return_the_stored_customers(sandbox):
    client = fast_client(sandbox, "eoneopay")
    created = new_customer(client, VISA)

    assert client.customer_get(customer_id=created.id) == created
    listed = client.customer_list()
    assert [c.id for c in listed] == [data.DEMO_CUSTOMER_ID, created.id]
    demo = listed[0]
    assert demo.name == "Demo Customer"
    assert [c.token for c in demo.cards] == [data.DEMO_TOKEN_VISA, data.DEMO_TOKEN_DECLINING]
    assert demo.bank_accounts[0].branch == "012003"


def test_customer_update_keeps_listed_cards_adds_new_ones_and_drops_the_rest(sandbox):
    client = fast_client(sandbox, "eoneopay")
    created = new_customer(client, VISA, NewCard(number=data.CARD_APPROVED_MASTERCARD, expiry_date="01/29", cvv="321"))
    kept, dropped = created.cards

    updated = client.customer_update(
        customer_id=created.id, name="Ann Updated", email="ann.updated@example.test", address="3 New Road",
        cards=[kept, NewCard(number=data.CARD_APPROVED_AMEX, expiry_date="04/31", cvv="4321")],
        bank_accounts=[BankAccount(name="Ann Updated", number="87654321", branch="633000")],
    )

    assert updated.id == created.id
    assert (updated.name, updated.email, updated.address) == ("Ann Updated", "ann.updated@example.test", "3 New Road")
    assert updated.cards[0] == kept
    assert updated.cards[1].card_type == "2" and updated.cards[1].token not in (kept.token, dropped.token)
    assert updated.bank_accounts == (BankAccount(name="Ann Updated", number="87654321", branch="633000"),)
    assert client.customer_get(customer_id=created.id) == updated
    with pytest.raises(ProviderRejected) as caught:
        client.payment_create(token=dropped.token, amount=aud("1.00"), reference="dropped card")
    assert caught.value.code == "card_not_found"


def test_customer_delete_acknowledges_then_the_customer_is_gone(sandbox):
    client = fast_client(sandbox, "eoneopay")
    created = new_customer(client, VISA)

    ack = client.customer_delete(customer_id=created.id)

    assert (ack.raw_code, ack.message) == ("0", "Customer deleted")
    assert [c.id for c in client.customer_list()] == [data.DEMO_CUSTOMER_ID]
    with pytest.raises(ProviderRejected) as caught:
        client.customer_get(customer_id=created.id)
    assert (caught.value.code, caught.value.http_status) == ("customer_deleted", 410)
    with pytest.raises(ProviderRejected) as caught:
        client.payment_create(token=created.cards[0].token, amount=aud("5.00"), reference="after delete")
    assert (caught.value.code, caught.value.http_status) == ("card_removed", 410)


# -- payments and refunds ----------------------------------------------------------------
def test_payment_create_charges_a_token_in_cents(sandbox):
    client = fast_client(sandbox, "eoneopay")

    payment = client.payment_create(token=data.DEMO_TOKEN_VISA, amount=aud("742.05"), reference="Order 5521")

    assert payment.amount == Money(Decimal("742.05"), "AUD")
    assert isinstance(payment.amount.amount, Decimal)
    assert (payment.status, payment.raw_code, payment.message) == ("succeeded", "0", "Payment created")
    assert payment.reference == "Order 5521" and payment.token == data.DEMO_TOKEN_VISA
    assert payment.txn_id == "273041"
    stored = state(sandbox).payments[payment.txn_id]
    assert (stored["amount"], stored["status"]) == (74205, "approved")


def test_payment_refund_accepts_the_string_code_00_and_refuses_a_second_refund(sandbox):
    client = fast_client(sandbox, "eoneopay")
    payment = client.payment_create(token=data.DEMO_TOKEN_VISA, amount=aud("19.99"), reference="Order 77")

    refund = client.payment_refund(txn_id=payment.txn_id)

    assert refund.raw_code == "00" and refund.status == "refunded"
    assert refund.payment_txn_id == payment.txn_id and refund.txn_id == str(int(payment.txn_id) + 1)
    assert refund.amount == aud("19.99") and refund.reference == "Order 77"
    assert refund.message == "Payment refunded"
    assert state(sandbox).payments[payment.txn_id]["status"] == "refunded"
    with pytest.raises(ProviderRejected) as caught:
        client.payment_refund(txn_id=payment.txn_id)
    assert (caught.value.code, caught.value.http_status) == ("already_refunded", 410)


def test_the_seeded_payment_is_refundable(sandbox):
    refund = fast_client(sandbox, "eoneopay").payment_refund(txn_id=data.DEMO_PAYMENT_TXN_ID)
    assert refund.amount == aud("742.00") and refund.reference == "Demo order 1001"


@pytest.mark.parametrize(
    ("pan", "code", "response_code"),
    [
        (data.CARD_DO_NOT_HONOUR, "do_not_honour", "05"),
        (data.CARD_INSUFFICIENT_FUNDS, "insufficient_funds", "51"),
        (data.CARD_EXPIRED, "expired_card", "54"),
    ],
)
def test_declined_cards_raise_card_declined_with_the_network_code(sandbox, pan, code, response_code):
    client = fast_client(sandbox, "eoneopay")
    token = new_customer(client, NewCard(number=pan, expiry_date="10/30", cvv="999")).cards[0].token

    with pytest.raises(CardDeclined) as caught:
        client.payment_create(token=token, amount=aud("10.00"), reference="declined order")

    error = caught.value
    assert isinstance(error, ProviderRejected)
    assert (error.code, error.response_code, error.http_status) == (code, response_code, 200)
    assert error.message.endswith(".") and error.message[0].isupper()
    assert state(sandbox).payments[error.txn_id]["status"] == "declined"
    with pytest.raises(ProviderRejected) as refused:
        client.payment_refund(txn_id=error.txn_id)
    assert (refused.value.code, refused.value.http_status) == ("refund_invalid", 400)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (Money(Decimal("5.00"), "INR"), "currency_not_supported"),
        (aud("1.001"), "invalid_amount"),
        (aud("0"), "invalid_amount"),
        (aud("-3.00"), "invalid_amount"),
        (aud("Infinity"), "invalid_amount"),
        (Decimal("5.00"), "invalid_amount"),
    ],
)
def test_payment_amount_must_be_aud_in_whole_cents_and_above_zero(sandbox, amount, code):
    with pytest.raises(ProviderInputError) as caught:
        fast_client(sandbox, "eoneopay").payment_create(token=data.DEMO_TOKEN_VISA, amount=amount,
                                                        reference="bad amount")
    assert_refused_locally(sandbox, caught.value, "payment_create", code)
    assert data.DEMO_TOKEN_VISA not in str(caught.value)


# -- API keys ----------------------------------------------------------------------------
def test_api_key_lifecycle_with_the_admin_key(sandbox):
    client = fast_client(sandbox, "eoneopay")

    pair = client.api_key_create()
    assert pair.mode == "test"
    assert pair.secret_key.startswith("sk_test_") and len(pair.secret_key) == 32
    assert pair.public_key.startswith("pk_test_")
    key = client.api_key_get(api_key=pair.secret_key)
    assert (key.status, key.raw_status, key.permissions, key.is_admin) == ("active", "1", "-", False)
    assert fast_client(sandbox, "eoneopay", secret_key=pair.secret_key).customer_list()

    ack = client.api_key_revoke(api_key=pair.secret_key)

    assert (ack.raw_code, ack.message) == ("0", "API Key revoked")
    assert client.api_key_get(api_key=pair.secret_key).status == "revoked"
    with pytest.raises(ProviderAuthenticationError) as caught:
        fast_client(sandbox, "eoneopay", secret_key=pair.secret_key).customer_list()
    assert caught.value.http_status == 401
    admin = client.api_key_get(api_key=data.ADMIN_KEY)
    assert admin.is_admin and admin.status == "active"


@pytest.mark.parametrize("call", ["api_key_create", "api_key_get", "api_key_revoke"])
def test_api_key_calls_without_an_admin_key_fail_before_sending(sandbox, call):
    client = fast_client(sandbox, "eoneopay", admin_key=None)
    kwargs = {} if call == "api_key_create" else {"api_key": data.SECRET_KEY}

    with pytest.raises(ProviderInputError) as caught:
        getattr(client, call)(**kwargs)

    assert_refused_locally(sandbox, caught.value, call, "admin_key_missing")
    assert "admin key" in caught.value.message
    assert data.SECRET_KEY not in str(caught.value)


# -- mode and check ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "mode"),
    [("sk_test_abc", "test"), ("sk_live_abc", "live"), ("pk_test_abc", None), ("", None), (None, None)],
)
def test_key_prefix_selects_the_mode(key, mode):
    assert key_mode(key) == mode


def test_client_exposes_the_mode_of_its_secret_key(sandbox):
    assert fast_client(sandbox, "eoneopay").mode == "test"
    assert fast_client(sandbox, "eoneopay", secret_key=data.LIVE_KEY).mode == "live"


def test_check_proves_both_keys(sandbox):
    sentence = fast_client(sandbox, "eoneopay").check()
    assert sentence == (
        "EoneoPay accepted the test secret key (1 customers). The admin key can manage API keys."
    )
    assert [r.path for r in state(sandbox).received] == ["/customers", f"/apikeys/{data.ADMIN_KEY}"]
    assert fast_client(sandbox, "eoneopay", admin_key=None).check().startswith("EoneoPay accepted the test secret key")


def test_check_reports_a_standard_key_given_as_admin_key(sandbox):
    with pytest.raises(ProviderAuthenticationError) as caught:
        fast_client(sandbox, "eoneopay", admin_key=data.SECRET_KEY).check()
    assert (caught.value.code, caught.value.http_status) == ("admin_key_required", 403)


@pytest.mark.parametrize(
    ("secret_key", "admin_key", "code"),
    [
        ("pk_test_PaydeskSandboxPublic0001", None, "unrecognised_key"),
        (data.SECRET_KEY, "sk_live_PaydeskSandboxLive000001", "mode_mismatch"),
    ],
)
def test_check_rejects_keys_of_no_or_mixed_modes_without_calling(sandbox, secret_key, admin_key, code):
    with pytest.raises(ProviderInputError) as caught:
        fast_client(sandbox, "eoneopay", secret_key=secret_key, admin_key=admin_key).check()
    assert_refused_locally(sandbox, caught.value, "check", code)


def test_check_reports_a_live_key_refused_by_the_sandbox(sandbox):
    with pytest.raises(ProviderAuthenticationError) as caught:
        fast_client(sandbox, "eoneopay", secret_key=data.LIVE_KEY, admin_key=None).check()
    assert caught.value.http_status == 401
    assert "Live keys" in caught.value.upstream_message


# -- the code field ----------------------------------------------------------------------
@pytest.mark.parametrize(("code", "success"), [(0, True), ("0", True), ("00", True), ("05", False), (51, False)])
def test_answer_code_zero_in_any_spelling_is_success(code, success):
    assert is_success(answer_code({"code": code})) is success


@pytest.mark.parametrize("code", [None, "abc", True, 1.5, ""])
def test_answer_code_that_is_not_a_whole_number_is_unreadable(code):
    with pytest.raises((TypeError, ValueError)):
        answer_code({"code": code})


# -- answers the sandbox never gives, from a canned server -------------------------------
@pytest.fixture
def canned():
    """A tiny HTTP server answering every request with the (status, body) set on it."""
    answer = {"status": 200, "body": {}}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            payload = json.dumps(answer["body"]).encode()
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    answer["client"] = EoneoPayClient(
        base_url=f"http://127.0.0.1:{server.server_port}", secret_key=data.SECRET_KEY, admin_key=data.ADMIN_KEY,
        timeouts=FAST_TIMEOUTS, retry=FAST_RETRY,
    )
    yield answer
    server.shutdown()
    server.server_close()


def _payment_body(**overrides):
    detail = {"token": data.DEMO_TOKEN_VISA, "reference": "r", "amount": 1000, "currency": "AUD", "txnID": "9"}
    return {"code": 0, "message": "Payment created", "txnID": "9", "payment": {**detail, **overrides}}


def test_a_payment_answer_with_an_unreadable_code_is_an_unknown_outcome(canned):
    canned["body"] = {**_payment_body(), "code": "OK"}
    with pytest.raises(ProviderOutcomeUnknown) as caught:
        canned["client"].payment_create(token=data.DEMO_TOKEN_VISA, amount=aud("10.00"), reference="r")
    assert caught.value.code == "unexpected_shape"


def test_a_payment_answer_for_another_amount_is_an_unknown_outcome(canned):
    canned["body"] = _payment_body(amount=2000)
    with pytest.raises(ProviderOutcomeUnknown):
        canned["client"].payment_create(token=data.DEMO_TOKEN_VISA, amount=aud("10.00"), reference="r")


def test_a_payment_created_answer_is_accepted(canned):
    canned["status"], canned["body"] = 201, _payment_body()
    payment = canned["client"].payment_create(token=data.DEMO_TOKEN_VISA, amount=aud("10.00"), reference="r")
    assert (payment.txn_id, payment.amount) == ("9", aud("10.00"))


def test_a_refund_with_the_number_zero_is_a_success_too(canned):
    canned["body"] = {
        "code": 0, "message": "Payment refunded", "txnID": "11",
        "refund": {"amount": 500, "currency": "AUD", "purchaseOrderNo": "r", "txnID": "11"},
    }
    refund = canned["client"].payment_refund(txn_id="10")
    assert (refund.raw_code, refund.txn_id, refund.amount) == ("0", "11", aud("5.00"))


def test_a_refund_with_another_code_is_refused(canned):
    canned["body"] = {"code": "12", "message": "Invalid Transaction", "txnID": "11"}
    with pytest.raises(ProviderRejected) as caught:
        canned["client"].payment_refund(txn_id="10")
    assert (caught.value.code, caught.value.upstream_message) == ("refund_declined", "Invalid Transaction")
    assert "12" in caught.value.message


def test_a_non_zero_code_on_a_delete_is_a_refusal(canned):
    canned["body"] = {"code": 7, "message": "Customer has pending payments"}
    with pytest.raises(ProviderRejected) as caught:
        canned["client"].customer_delete(customer_id="cus_x")
    assert caught.value.code == "refused" and caught.value.http_status == 200


def test_customer_answers_are_normalised_defensively(canned):
    canned["body"] = {
        "id": "cus_1", "name": "N", "email": "n@example.test", "address": None,
        "credit_cards": [{"token": 123, "creditCardInfo": {
            "pan": data.CARD_APPROVED_VISA, "expiryDate": "01/30", "cardType": 6, "cardDescription": "Visa"}}],
        "bank_accounts": [{"name": "N", "number": 128818, "branch": 12003}],
    }
    customer = canned["client"].customer_get(customer_id="cus_1")
    assert customer.cards[0].masked_pan == "400000******0002"  # a clear PAN is never kept
    assert (customer.cards[0].token, customer.cards[0].card_type) == ("123", "6")
    assert customer.bank_accounts[0] == BankAccount(name="N", number="128818", branch="012003")
    assert customer.address == ""


def test_a_customer_list_that_is_not_a_list_is_an_invalid_response(canned):
    canned["body"] = {"customers": []}
    with pytest.raises(ProviderInvalidResponse):
        canned["client"].customer_list()


def test_a_live_key_pair_is_read_as_live(canned):
    canned["body"] = {"live_secret_key": "sk_live_NewKey000000000000000001", "live_public_key": "pk_live_x"}
    pair = canned["client"].api_key_create()
    assert (pair.mode, pair.secret_key) == ("live", "sk_live_NewKey000000000000000001")


def test_the_sandbox_answers_406_to_a_client_that_will_not_take_json(sandbox):
    response = requests.get(
        f"{sandbox.base_url('eoneopay')}/customers", auth=(data.SECRET_KEY, ""), headers={"Accept": "text/html"},
        timeout=5,
    )
    assert response.status_code == 406 and response.json()["code"] == 406
