"""EnKash's doc defines no answer but the token's: each operation succeeds on the
smallest answer NOTES.md allows (the envelope, and in the payload only the id Paydesk
needs to ask again and the status NOTES.md promises), and the result carries what
Paydesk sent: the order id, the refund's requestId and transaction, the amount."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import requests

from providers.base.errors import ProviderInvalidResponse, ProviderOutcomeUnknown
from providers.base.money import Money
from providers.enkash.client import EnKashClient
from providers.enkash.types import CardDetail

TOKEN = {"token": "enk_test_token_canned_0001", "expiry": int(time.time() * 1000) + 3_600_000,
         "resultCode": 0, "resultMessage": "Token generated"}


class EnvelopeSession(requests.Session):
    """Issues a token, then answers every other call ``{"response_code": 0, ...,
    "payload": payload}``: a shape the sandbox, which always sends every field, never gives."""

    def __init__(self, payload: dict) -> None:
        super().__init__()
        self.payload, self.sent = payload, []

    def request(self, method, url, **kwargs):
        body = TOKEN if url.endswith("/merchant/token") else {
            "response_code": 0, "response_message": "Success", "payload": self.payload}
        self.sent.append((method, url))
        response = requests.Response()
        response.status_code, response.url = 200, url
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        return response


def client_answering(payload: dict) -> EnKashClient:
    return EnKashClient(base_url="http://enkash.invalid/enkash", access_key="enk_test_ak_canned",
                        secret_key="enk_test_sk_canned", session=EnvelopeSession(payload))


AMOUNT = Money(Decimal("1250.50"), "INR")


def test_create_order_succeeds_on_an_empty_payload():
    order = client_answering({}).create_order(order_id="PD42", amount=AMOUNT, return_url="https://m.test/r",
                                              notify_url="https://m.test/n")
    assert (order.order_id, order.amount, order.enkash_order_id, order.checkout_url) == ("PD42", AMOUNT, None, None)
    assert (order.status, order.raw_status) == ("unknown", "")  # order_status says later


def test_order_status_needs_only_the_status():
    order = client_answering({"status": "PAID"}).order_status(order_id="PD42")
    assert (order.order_id, order.status, order.raw_status, order.amount) == ("PD42", "succeeded", "PAID", None)


def test_order_status_lists_attempts_under_the_order_asked_for():
    payload = {"status": "ATTEMPTED", "transactions": [{"transactionId": "T1", "status": "FAILED"}]}
    [attempt] = client_answering(payload).order_status(order_id="PD42").payments
    assert (attempt.transaction_id, attempt.order_id, attempt.status) == ("T1", "PD42", "failed")


def test_transaction_status_needs_only_the_status():
    payment = client_answering({"status": "SUCCESS"}).transaction_status(transaction_id="T9")
    assert (payment.transaction_id, payment.status, payment.amount, payment.order_id) == ("T9", "succeeded", None, None)


def test_submit_payment_needs_only_the_transaction_id():
    card = CardDetail(holder_name="Test Payer", number="5100 0000 0000 0008", cvv="123", expiry="12/30")
    payment = client_answering({"transactionId": "T7"}).submit_payment_detail(
        order_id="PD42", amount=AMOUNT, payment_mode="CREDIT_CARD", card=card)
    assert (payment.transaction_id, payment.order_id, payment.amount) == ("T7", "PD42", AMOUNT)
    assert (payment.status, payment.raw_status) == ("unknown", "")  # transaction_status says later


def test_submit_payment_without_the_transaction_id_is_an_unknown_outcome():
    card = CardDetail(holder_name="Test Payer", number="5100 0000 0000 0008", cvv="123", expiry="12/30")
    with pytest.raises(ProviderOutcomeUnknown):
        client_answering({"status": "SUCCESS"}).submit_payment_detail(
            order_id="PD42", amount=AMOUNT, payment_mode="CREDIT_CARD", card=card)


def test_refund_needs_only_the_status():
    refund = client_answering({"status": "CREATED"}).refund(transaction_id="T9", amount=Decimal("100.00"),
                                                            request_id="PD-RF-1")
    assert (refund.request_id, refund.transaction_id, refund.refund_id) == ("PD-RF-1", "T9", None)
    assert refund.amount == Money(Decimal("100.00"), "INR")
    assert (refund.status, refund.raw_status) == ("pending", "CREATED")


def test_refund_fields_that_are_there_are_read():
    refund = client_answering({"status": "SUCCESS", "refundId": "RF1", "refundAmount": "99.00"}).refund(
        transaction_id="T9", amount=Decimal("99.00"), request_id="PD-RF-1")
    assert (refund.refund_id, refund.amount, refund.status) == ("RF1", Money(Decimal("99.00"), "INR"), "succeeded")


@pytest.mark.parametrize(("call", "error"), [
    (lambda c: c.refund(transaction_id="T9", amount=Decimal("1.00"), request_id="R1"), ProviderOutcomeUnknown),
    (lambda c: c.order_status(order_id="PD42"), ProviderInvalidResponse),
    (lambda c: c.transaction_status(transaction_id="T9"), ProviderInvalidResponse),
])
def test_a_status_answer_without_its_status_is_unreadable(call, error):
    with pytest.raises(error) as exc:
        call(client_answering({}))
    assert exc.value.code == "unexpected_shape"
