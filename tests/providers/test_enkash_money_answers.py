"""Answers to EnKash's money calls that no sandbox sends: a 409 from something that is not
EnKash (a proxy's HTML page, a gateway's ``{"message": ...}``) or with a code nobody
documents proves nothing was refunded, so the outcome is unknown; only a 409 carrying a
failure code EnKash documents is a refusal."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from providers.base.errors import ProviderInvalidResponse, ProviderOutcomeUnknown, ProviderRejected
from providers.base.money import Money
from providers.enkash import codes
from providers.enkash.client import EnKashClient

TOKEN = {"token": "enk_test_token_canned_0002", "expiry": int(time.time() * 1000) + 3_600_000,
         "resultCode": 0, "resultMessage": "Token generated"}


class CannedSession(requests.Session):
    """Issues a token, then answers every other call with ``status`` and ``text``."""

    def __init__(self, status: int, text: str, content_type: str = "application/json") -> None:
        super().__init__()
        self.status, self.text, self.content_type, self.sent = status, text, content_type, []

    def request(self, method, url, **kwargs):
        token_call = url.endswith("/merchant/token")
        self.sent.append((method, url))
        response = requests.Response()
        response.status_code, response.url = (200, url) if token_call else (self.status, url)
        response._content = (json.dumps(TOKEN) if token_call else self.text).encode()
        response.headers["Content-Type"] = "application/json" if token_call else self.content_type
        return response


def client_answering(status: int, text: str, content_type: str = "application/json") -> EnKashClient:
    return EnKashClient(base_url="http://enkash.invalid/enkash", access_key="enk_test_ak_canned",
                        secret_key="enk_test_sk_canned", session=CannedSession(status, text, content_type))


def refund(client: EnKashClient):
    return client.refund(transaction_id="EKT1", amount="10.00", request_id="rf-1")


@pytest.mark.parametrize(("text", "content_type"), [
    ("<html><body><h1>409 Conflict</h1></body></html>", "text/html"),
    ('{"message": "conflict"}', "application/json"),
    ('{"response_code": 7777, "response_message": "Conflict", "payload": null}', "application/json"),
])
def test_a_refund_answered_409_without_a_known_code_is_outcome_unknown(text, content_type):
    client = client_answering(409, text, content_type)
    with pytest.raises(ProviderOutcomeUnknown) as excinfo:
        refund(client)
    assert (excinfo.value.http_status, excinfo.value.code) == (409, "outcome_unknown_http_409")
    assert "may or may not have gone through" in excinfo.value.message
    assert [m for m, url in client.session.sent if url.endswith("/refund")] == ["POST"]  # sent once


def test_a_refund_answered_409_with_enkash_refusal_code_stays_a_rejection():
    body = {"response_code": codes.REFUND_REQUEST_CONFLICT, "response_message": "requestId reused", "payload": None}
    with pytest.raises(ProviderRejected) as excinfo:
        refund(client_answering(409, json.dumps(body)))
    assert not isinstance(excinfo.value, ProviderOutcomeUnknown)
    assert (excinfo.value.http_status, excinfo.value.code) == (409, "refund_request_conflict")
    assert excinfo.value.message == "This refund request id was already used for a different refund."


def test_a_refund_refused_422_without_a_code_is_still_a_refusal():
    # 422 is in MONEY_NOT_ACTED: the status alone proves nothing was refunded.
    with pytest.raises(ProviderRejected) as excinfo:
        refund(client_answering(422, '{"message": "bad amount"}'))
    assert not isinstance(excinfo.value, ProviderOutcomeUnknown)
    assert excinfo.value.code == "unprocessable"


def test_an_order_answered_bare_409_is_still_a_duplicate_refusal():
    # create_order moves no money: the documented 409 keeps its plain meaning.
    client = client_answering(409, "<html>409</html>", "text/html")
    with pytest.raises(ProviderRejected) as excinfo:
        client.create_order(order_id="PD1", amount="10.00", return_url="https://m.test/r",
                            notify_url="https://m.test/n")
    assert not isinstance(excinfo.value, ProviderOutcomeUnknown)
    assert excinfo.value.code == "conflict"


# -- an answer about another id than the one sent --------------------------------------------
def envelope(payload: dict) -> str:
    return json.dumps({"response_code": 0, "response_message": "Success", "payload": payload})


@pytest.mark.parametrize("payload", [
    {"requestId": "rf-OTHER", "transactionId": "EKT1", "status": "SUCCESS"},
    {"requestId": "rf-1", "transactionId": "EKT2", "status": "SUCCESS"},
])
def test_a_refund_answer_naming_another_id_is_an_unknown_outcome(payload):
    with pytest.raises(ProviderOutcomeUnknown) as excinfo:
        refund(client_answering(200, envelope(payload)))
    assert (excinfo.value.http_status, excinfo.value.code) == (200, "unexpected_shape")


def test_a_payment_answer_naming_another_order_is_an_unknown_outcome():
    client = client_answering(200, envelope({"transactionId": "EKT7", "orderId": "PD-OTHER", "status": "SUCCESS"}))
    with pytest.raises(ProviderOutcomeUnknown) as excinfo:
        client.submit_payment_detail(order_id="PD42", amount="10.00", payment_mode="UPI", vpa="success@enkash")
    assert excinfo.value.code == "unexpected_shape"


@pytest.mark.parametrize(("call", "payload"), [
    (lambda c: c.order_status(order_id="PD42"), {"orderId": "PD43", "status": "PAID"}),
    (lambda c: c.order_status(order_id="PD42"),
     {"orderId": "PD42", "status": "PAID", "transactions": [{"transactionId": "T1", "orderId": "PD9", "status": "SUCCESS"}]}),
    (lambda c: c.transaction_status(transaction_id="EKT1"), {"transactionId": "EKT9", "status": "SUCCESS"}),
    (lambda c: c.transaction_status(transaction_id="EKT1"),
     {"transactionId": "EKT1", "status": "REFUNDED",
      "refunds": [{"requestId": "rf-1", "transactionId": "EKT9", "status": "SUCCESS"}]}),
    (lambda c: c.upi_intent_link(order_id="PD42"),
     {"orderId": "PD43", "transactionId": "T1", "amount": "10.00",
      "intentLinks": {"upi": "upi://pay", "gpay": "g", "phonepe": "p", "paytm": "t"}}),
])
def test_a_read_answer_naming_another_id_is_an_invalid_response(call, payload):
    with pytest.raises(ProviderInvalidResponse) as excinfo:
        call(client_answering(200, envelope(payload)))
    assert excinfo.value.code == "unexpected_shape"


def test_an_answer_with_the_ids_sent_is_read():
    client = client_answering(200, envelope({"requestId": "rf-1", "transactionId": "EKT1", "status": "SUCCESS"}))
    made = refund(client)
    assert (made.request_id, made.transaction_id, made.status) == ("rf-1", "EKT1", "succeeded")


# -- optional fields never fail an answer --------------------------------------------------
@pytest.mark.parametrize(("extra", "created_at"), [
    ({"createdAt": "1732171712000"}, datetime(2024, 11, 21, 6, 48, 32, tzinfo=UTC)),
    ({"createdAt": 1732171712000}, datetime(2024, 11, 21, 6, 48, 32, tzinfo=UTC)),
    ({"createdAt": "21-11-2026 08:48:32"}, None),
    ({"createdAt": {"at": "today"}}, None),
    ({"refundAmount": "1,000"}, None),
    ({"refundAmount": True, "createdAt": "99999999999999999999"}, None),
])
def test_an_odd_optional_field_leaves_a_refund_that_went_through_a_success(extra, created_at, caplog):
    payload = {"requestId": "rf-1", "transactionId": "EKT1", "status": "SUCCESS", **extra}
    with caplog.at_level(logging.INFO, logger="providers.answers"):
        made = refund(client_answering(200, envelope(payload)))
    assert (made.status, made.request_id, made.transaction_id) == ("succeeded", "rf-1", "EKT1")
    assert made.amount == Money(Decimal("10.00"), "INR")  # the amount sent stands in
    assert made.created_at == created_at
    notes = [r.getMessage() for r in caplog.records if r.name == "providers.answers"]
    assert len(notes) == sum(1 for key in extra if key != "createdAt" or created_at is None)
    for note in notes:
        assert note.startswith("EnKash sent the optional field ") and note.endswith("; it is left empty")
        assert not any(str(value) in note for value in extra.values())  # never the value


def test_an_odd_required_field_still_fails_the_answer():
    with pytest.raises(ProviderOutcomeUnknown) as excinfo:
        refund(client_answering(200, envelope({"requestId": "rf-1", "status": 7})))
    assert excinfo.value.code == "unexpected_shape"


def test_an_odd_optional_field_on_a_read_is_left_empty():
    payload = {"transactionId": "EKT1", "status": "SUCCESS", "amount": "1,000", "createdAt": "yesterday",
               "refunds": [{"requestId": "rf-1", "status": "SUCCESS", "refundAmount": "1,0", "createdAt": "x"}]}
    payment = client_answering(200, envelope(payload)).transaction_status(transaction_id="EKT1")
    assert (payment.status, payment.amount, payment.created_at) == ("succeeded", None, None)
    [refunded] = payment.refunds
    assert (refunded.request_id, refunded.amount, refunded.created_at) == ("rf-1", None, None)
