"""The contract list now carries items and costs; the schedule and chart are derived
from period, remaining periods, installment and next due date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.selfservice.contracts import add_months, balance_chart, remaining_balance, schedule
from providers.base.money import Money
from providers.vospay.sandbox import ACCESS_CODE_SITI
from providers.vospay.types import Contract
from tests.helpers import fast_client


def contract(period=6, remaining=3, due=date(2027, 1, 31)) -> Contract:
    return Contract(contract_number="1", vospay_number="2340010000000001", transaction_id="t", order_id="o",
                    merchant_name="Shop", period=period, remaining_period=remaining,
                    installment=Money(Decimal("21458.33"), "IDR"), transaction_amount=Money(Decimal("125000"), "IDR"),
                    interest_rate=Decimal("0.03"), next_payment_due=due, transaction_date=None,
                    raw_status="Approved", status="succeeded")


def test_add_months_keeps_the_day_or_the_months_last():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)


def test_schedule_and_chart():
    rows = schedule(contract())
    assert [r.state for r in rows] == ["paid"] * 3 + ["next", "upcoming", "upcoming"]
    assert rows[3].due == date(2027, 1, 31) and rows[0].due == date(2026, 10, 31) and rows[4].due == date(2027, 2, 28)
    assert rows[-1].balance_after == 0
    assert remaining_balance(contract()) == Decimal("64374.99")
    bars = balance_chart(contract())
    assert len(bars) == 7 and [b.state for b in bars].count("now") == 1 and bars[3].state == "now"
    assert bars[0].height > bars[3].height > bars[6].height == 0
    done = balance_chart(contract(remaining=0))
    assert done[-1].state == "now" and all(r.state == "paid" for r in schedule(contract(remaining=0)))


@pytest.mark.django_db
def test_the_client_reads_contract_items_and_costs(sandbox):
    vospay = fast_client(sandbox, "vospay")
    token = vospay.create_access_token(strategy="email", email="siti.rohanah@example.id",
                                       password=ACCESS_CODE_SITI).token
    (found,) = vospay.contracts(access_token=token).contracts
    assert [(i.name, i.quantity, i.price) for i in found.items] == [
        ("Charger Samsung A5", 1, Money(Decimal("100000"), "IDR")), ("Cover HeadPhone", 1, Money(Decimal("15000"), "IDR"))]
    assert found.shipping_cost == Money(Decimal("10000"), "IDR") and found.tax == Money(Decimal("0"), "IDR")
