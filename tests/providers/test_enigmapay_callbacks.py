"""Status callbacks: the sandbox POSTs one to the configured URL on each status change,
retries while the receiver does not answer 200, and ``parse_status_callback`` reads it."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests

from providers.base.errors import ProviderInvalidResponse
from providers.base.money import Money
from providers.enigmapay.client import parse_status_callback
from providers.enigmapay.sandbox import CUSTOMER_IBAN_FAILS, CUSTOMER_IBAN_OK
from tests.helpers import CallbackReceiver
from tests.providers import enigmapay_support as enigmapay
from tests.providers.enigmapay_support import configure

client = enigmapay.client


def pay_out(client, iban=CUSTOMER_IBAN_OK):
    return client.send_money(username="user123", amount=Decimal("500.00"), customer_iban=iban,
                             customer_name="John Doe", description="Paydesk payout PO-9")


def test_completed_payout_sends_one_callback_that_parses_and_matches_the_status(sandbox, client, callback_receiver):
    configure(sandbox, callback_url=callback_receiver.url, completion_delay=0.2)
    payout = pay_out(client)

    [delivery] = callback_receiver.wait(1)
    raw = delivery["body"]
    callback = parse_status_callback(raw)
    assert b'"amount": 500.00,' in raw  # exact, as the doc shows it: never through a float (500.0)

    assert callback.transaction_id == payout.transaction_id
    assert (callback.status, callback.raw_status) == ("succeeded", "Completed")
    assert callback.amount == Money(Decimal("500.00"), "TRY")
    assert (callback.username, callback.description) == ("user123", "Paydesk payout PO-9")
    assert callback.completed_at is not None and callback.completed_at.utcoffset() == timedelta(hours=3)
    assert delivery["headers"]["Content-Type"] == "application/json"
    confirmed = client.transaction_status(transaction_id=callback.transaction_id)
    assert (confirmed.status, confirmed.completed_at) == (callback.status, callback.completed_at)
    time.sleep(0.3)
    assert len(callback_receiver.bodies) == 1, "no callback at creation, one per status change"


def test_failed_payout_sends_a_failed_callback(sandbox, client, callback_receiver):
    configure(sandbox, callback_url=callback_receiver.url, completion_delay=0.1)
    payout = pay_out(client, iban=CUSTOMER_IBAN_FAILS)

    callback = parse_status_callback(callback_receiver.wait(1)[0]["body"])

    assert (callback.transaction_id, callback.status, callback.raw_status) == (payout.transaction_id, "failed",
                                                                               "Failed")


def test_card_payment_paid_on_the_payment_page_sends_a_completed_callback(sandbox, client, callback_receiver):
    configure(sandbox, callback_url=callback_receiver.url)
    link = client.credit_card_payment(username="buyer7", firstname="A", lastname="B", email="a@example.com",
                                      phone="05551112233", amount=Decimal("750.00"), description="Order 7")

    requests.post(link.payment_url, data={"action": "pay"}, timeout=5).raise_for_status()
    callback = parse_status_callback(callback_receiver.wait(1)[0]["body"].decode())

    assert (callback.transaction_id, callback.status) == (link.transaction_id, "succeeded")
    assert (callback.amount.amount, callback.username, callback.description) == (Decimal("750.00"), "buyer7",
                                                                                 "Order 7")


def test_callback_is_retried_until_the_receiver_answers_200(sandbox, client, callback_receiver):
    # The receiver answers 500 first; then the callback URL is pointed at one answering 200, so
    # the sandbox must deliver the same notification again. How many 500s land before the switch
    # depends on the machine's load, so the test counts them instead of assuming one.
    with CallbackReceiver(status=500, answer=b'{"success": false}') as failing:
        configure(sandbox, callback_url=failing.url, completion_delay=0.1, callback_retry_delay=0.3)
        pay_out(client)
        failing.wait(1)
        configure(sandbox, callback_url=callback_receiver.url)

        [second] = callback_receiver.wait(1)
        failed = [r["body"] for r in failing.received]

    assert failed and all(body == second["body"] for body in failed), "the same notification, delivered again"
    time.sleep(0.6)
    records = sandbox.sandbox("enigmapay").callbacks
    assert [r["status"] for r in records] == [500] * len(failed) + [200], "retried until 200, then never again"
    assert len(callback_receiver.received) == 1


def test_no_callback_url_means_no_callback(sandbox, client):
    configure(sandbox, completion_delay=0.1)
    payout = pay_out(client)
    time.sleep(0.25)

    assert client.transaction_status(transaction_id=payout.transaction_id).status == "succeeded"
    assert sandbox.sandbox("enigmapay").callbacks == []


# -- parsing ---------------------------------------------------------------------------------------------
DOC_EXAMPLE = {
    "transaction_id": 123, "status": "Completed", "amount": 500.00, "username": "user123",
    "description": "Withdrawal", "completed_at": "2025-11-26 14:35:00",
}


def test_parse_reads_the_doc_example_as_dict_str_and_bytes():
    for body in (DOC_EXAMPLE, json.dumps(DOC_EXAMPLE), json.dumps(DOC_EXAMPLE).encode()):
        callback = parse_status_callback(body)
        assert (callback.transaction_id, callback.status, callback.amount.amount) == (123, "succeeded",
                                                                                       Decimal("500.00"))
        assert callback.completed_at.isoformat() == "2025-11-26T14:35:00+03:00"


@pytest.mark.parametrize(
    ("status", "normalised"),
    [("Pending", "pending"), ("Completed", "succeeded"), ("Failed", "failed"), ("Rejected", "failed"),
     ("Cancelled", "cancelled"), ("OnHold", "unknown")],
)
def test_parse_normalises_the_status_and_keeps_the_raw_one(status, normalised):
    callback = parse_status_callback({**DOC_EXAMPLE, "status": status, "completed_at": None})

    assert (callback.status, callback.raw_status, callback.completed_at) == (normalised, status, None)


def test_parse_leaves_an_odd_optional_field_empty():
    # completed_at is optional (the transaction is confirmed with its status call anyway):
    # a date in another form does not make the whole callback unreadable.
    callback = parse_status_callback(json.dumps({**DOC_EXAMPLE, "completed_at": "26.11.2025", "username": 7}))
    assert (callback.transaction_id, callback.status, callback.completed_at, callback.username) == (
        123, "succeeded", None, None)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({k: v for k, v in DOC_EXAMPLE.items() if k != "status"}),
        json.dumps({**DOC_EXAMPLE, "amount": "lots"}),
        json.dumps({**DOC_EXAMPLE, "transaction_id": True}),
        b"\xff\xfe",
    ],
)
def test_parse_refuses_an_unreadable_callback(body):
    with pytest.raises(ProviderInvalidResponse) as caught:
        parse_status_callback(body)

    assert (caught.value.code, caught.value.operation) == ("invalid_callback", "status_callback")
    assert caught.value.message == "EnigmaPay sent a status callback Paydesk could not read."
