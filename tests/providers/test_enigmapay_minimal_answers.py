"""EnigmaPay's send-money answer is not in the doc: the client requires only
``success: true`` and the transaction id, and the payout carries what Paydesk sent."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from providers.base.errors import ProviderOutcomeUnknown
from providers.base.money import Money
from providers.enigmapay.testdata import CUSTOMER_IBAN_OK
from tests.helpers import fast_client
from tests.providers.enigmapay_support import CannedSession


def pay_out(sandbox, answer: dict):
    session = CannedSession(200, answer)
    client = fast_client(sandbox, "enigmapay", session=session)
    payout = client.send_money(username="user123", amount=Decimal("500.00"), customer_iban=CUSTOMER_IBAN_OK,
                               customer_name="John Doe", description="paydesk-payout-42")
    assert session.calls == 1
    return payout


@pytest.mark.parametrize("data", [{"transaction_id": 5001}, {"id": 5001}, {"id": "5001", "transaction_id": None}])
def test_the_smallest_send_money_answer_is_a_payout(sandbox, data):
    payout = pay_out(sandbox, {"success": True, "data": data})
    assert payout.transaction_id == 5001
    assert (payout.status, payout.raw_status) == ("unknown", "")  # asked again with transaction_status
    assert payout.amount == Money(Decimal("500.00"), "TRY")
    assert (payout.username, payout.customer_iban, payout.description) == (
        "user123", CUSTOMER_IBAN_OK, "paydesk-payout-42")


def test_fields_that_are_there_are_read(sandbox):
    payout = pay_out(sandbox, {"success": True, "data": {"transaction_id": 7, "status": "Pending", "amount": 499.5}})
    assert (payout.transaction_id, payout.status, payout.raw_status) == (7, "pending", "Pending")
    assert payout.amount == Money(Decimal("499.50"), "TRY")
    assert payout.description == "paydesk-payout-42"


@pytest.mark.parametrize("answer", [{"success": True}, {"success": True, "data": {}},
                                    {"success": True, "data": {"status": "Pending"}}])
def test_without_the_id_the_outcome_is_unknown(sandbox, answer):
    with pytest.raises(ProviderOutcomeUnknown) as exc:
        pay_out(sandbox, answer)
    assert exc.value.code == "unexpected_shape"


def test_odd_optional_fields_leave_a_payout_that_went_through_a_payout(sandbox, caplog):
    data = {"transaction_id": 8, "status": 3, "amount": "1,000"}  # 1000 or 1.000?
    with caplog.at_level(logging.INFO, logger="providers.answers"):
        payout = pay_out(sandbox, {"success": True, "data": data})
    assert (payout.transaction_id, payout.status, payout.raw_status) == (8, "unknown", "")
    assert payout.amount == Money(Decimal("500.00"), "TRY")  # the amount sent stands in
    notes = [r.getMessage() for r in caplog.records if r.name == "providers.answers"]
    assert notes == ["EnigmaPay sent the optional field status as an unreadable int; it is left empty",
                     "EnigmaPay sent the optional field amount as an unreadable str; it is left empty"]


def test_odd_optional_fields_of_a_status_answer_are_left_empty(sandbox):
    data = {"id": 9, "status": "Completed", "amount": "500.00", "created_at": "2025-11-26 14:35:00",
            "completed_at": "26/11/2025 14:40"}
    client = fast_client(sandbox, "enigmapay", session=CannedSession(200, {"success": True, "data": data}))
    status = client.transaction_status(transaction_id=9)
    assert (status.transaction_id, status.raw_status, status.completed_at) == (9, "Completed", None)


def test_odd_optional_fields_of_an_iban_history_row_are_left_empty(sandbox):
    row = {"id": 1, "type": "deposit", "amount": "10.00", "status": "Completed", "created_at": "2025-11-26 14:35:00",
           "customer_name": 42, "customer_iban": ["TR"], "description": {"x": 1}, "completed_at": 1764157200}
    client = fast_client(sandbox, "enigmapay", session=CannedSession(200, {"success": True, "data": [row]}))
    [entry] = client.iban_transactions(iban_id=1)
    assert (entry.customer_name, entry.customer_iban, entry.description, entry.completed_at) == (None,) * 4
    assert entry.amount == Money(Decimal("10.00"), "TRY")
