"""EnKash notify: the sandbox POSTs it to the order's notifyUrl after a payment status
change; ``parse_notify_callback`` reads it; order_status confirms it."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from providers.base.errors import ProviderInvalidResponse
from providers.base.money import Money
from providers.enkash.client import CardDetail, parse_notify_callback
from providers.enkash.sandbox_data import DEMO_MERCHANT, notify_checksum
from tests.helpers import wait_for
from tests.providers import enkash_support as enkash
from tests.providers.enkash_support import CARD_OK

client = enkash.client

CARD_LATER = CardDetail("Asha Rao", "4100000000000019", "123", "12/39")
CARD_STUCK = CardDetail("Asha Rao", "4100000000000043", "123", "12/39")


@pytest.fixture
def sb(sandbox):
    box = sandbox.sandbox("enkash")
    with box.lock:
        box.configure({"completion_delay": 0.2})
    return box


def order(client, notify_url, amount="1000.00"):
    return client.create_order(order_id="ORD1", amount=amount, return_url="https://shop.example/r",
                               notify_url=notify_url)


def test_successful_card_payment_is_notified(client, sb, callback_receiver):
    order(client, callback_receiver.url)
    payment = client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="CREDIT_CARD", card=CARD_OK)
    [delivery] = callback_receiver.wait(1)
    assert delivery["path"] == "/callback"
    assert delivery["headers"]["Content-Type"] == "application/json"
    notice = parse_notify_callback(delivery["body"])
    assert (notice.order_id, notice.transaction_id) == ("ORD1", payment.transaction_id)
    assert notice.amount == Money(Decimal("1000.00"), "INR")
    assert (notice.raw_status, notice.payment_mode) == ("SUCCESS", "CREDIT_CARD")
    assert (notice.order_status, notice.raw_order_status) == ("succeeded", "PAID")
    assert (notice.transaction_status, notice.raw_transaction_status) == ("succeeded", "SUCCESS")
    assert notice.masked_card == "410000******0001"
    raw = json.loads(delivery["body"])
    assert notice.checksum == notify_checksum(raw, DEMO_MERCHANT.secret_key)
    # never trusted on its own: the order itself says the same
    assert client.order_status(order_id=notice.order_id).raw_status == notice.raw_order_status


def test_pending_payment_is_notified_when_the_bank_confirms(client, sb, callback_receiver):
    order(client, callback_receiver.url)
    payment = client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="DEBIT_CARD",
                                           card=CARD_LATER)
    assert payment.raw_status == "PENDING_WITH_BANK"
    notice = parse_notify_callback(callback_receiver.wait(1)[0]["body"])
    assert (notice.raw_transaction_status, notice.raw_order_status) == ("SUCCESS", "PAID")
    wait_for(lambda: sb.callbacks[0]["status"] == 200)


def test_no_notify_while_pending_with_the_bank(client, sb, callback_receiver):
    order(client, callback_receiver.url)
    client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="CREDIT_CARD", card=CARD_STUCK)
    time.sleep(0.3)  # longer than the completion delay
    assert callback_receiver.received == [] and sb.callbacks == []


def test_failed_upi_payment_is_notified(client, sb, callback_receiver):
    order(client, callback_receiver.url)
    client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="UPI", vpa="failure@enkash")
    notice = parse_notify_callback(json.loads(callback_receiver.wait(1)[0]["body"]))
    assert (notice.raw_status, notice.transaction_status, notice.raw_order_status) == ("FAILED", "failed", "ATTEMPTED")
    assert notice.masked_card is None


def test_refund_is_notified(client, sb, callback_receiver):
    order(client, callback_receiver.url)
    payment = client.submit_payment_detail(order_id="ORD1", amount="1000.00", payment_mode="CREDIT_CARD", card=CARD_OK)
    client.refund(transaction_id=payment.transaction_id, amount="1000.00", request_id="rf-1")
    notices = [parse_notify_callback(d["body"]) for d in callback_receiver.wait(2)]
    assert [n.raw_transaction_status for n in notices] == ["SUCCESS", "REFUNDED"]
    assert notices[1].transaction_status == "refunded"


def test_no_notify_without_a_status_change(client, sb, callback_receiver):
    order(client, callback_receiver.url)
    client.upi_intent_link(order_id="ORD1")
    client.order_status(order_id="ORD1")
    assert sb.callbacks == []


@pytest.mark.parametrize("body", [
    b"not json",
    b"[1, 2]",
    "{}",
    {"orderId": "ORD1", "transactionId": "EKT1", "amount": "abc", "status": "SUCCESS", "orderStatus": "PAID",
     "transactionStatus": "SUCCESS"},
    {"orderId": "ORD1", "transactionId": "EKT1", "amount": "10.00", "currency": "USD", "status": "SUCCESS",
     "orderStatus": "PAID", "transactionStatus": "SUCCESS"},
    {"orderId": "ORD1", "transactionId": "EKT1", "amount": "10.00", "status": "SUCCESS"},
])
def test_unreadable_notify_is_an_invalid_response(body):
    with pytest.raises(ProviderInvalidResponse) as caught:
        parse_notify_callback(body)
    assert (caught.value.provider, caught.value.operation, caught.value.code) == (
        "enkash", "notify_callback", "invalid_callback")


def test_parse_remasks_a_card_number_sent_in_full():
    notice = parse_notify_callback({
        "orderId": "ORD1", "transactionId": "EKT1", "amount": 10.5, "status": "SUCCESS", "orderStatus": "PAID",
        "transactionStatus": "SUCCESS", "maskedCardNumber": "4100000000000001", "checksum": "abc",
    })
    assert notice.masked_card == "410000******0001"
    assert notice.amount == Money(Decimal("10.5"), "INR")
    assert "abc" not in repr(notice)
