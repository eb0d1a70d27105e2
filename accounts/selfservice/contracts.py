"""A Vospay contract's payment schedule and remaining-balance chart, derived from what
the contract list says: the period, the remaining periods, the monthly installment
(interest included) and the next due date. Installments are monthly, so installment k
is due ``k - (paid + 1)`` months from the next due date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from providers.vospay.types import Contract

CHART_WIDTH, CHART_HEIGHT = 320, 120


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ScheduleRow:
    number: int
    due: date | None
    amount: Decimal
    balance_after: Decimal
    state: str  # paid, next, upcoming


def schedule(contract: Contract) -> list[ScheduleRow]:
    paid = max(contract.period - contract.remaining_period, 0)
    amount = contract.installment.amount
    rows = []
    for k in range(1, contract.period + 1):
        due = add_months(contract.next_payment_due, k - (paid + 1)) if contract.next_payment_due else None
        state = "paid" if k <= paid else ("next" if k == paid + 1 else "upcoming")
        rows.append(ScheduleRow(k, due, amount, amount * (contract.period - k), state))
    return rows


def remaining_balance(contract: Contract) -> Decimal:
    return contract.installment.amount * contract.remaining_period


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: Decimal
    state: str  # past, now (what is owed today), future


def balance_chart(contract: Contract) -> list[Bar]:
    """One bar per month: what is still owed after it (bar 0: before any payment).
    Coordinates for an inline SVG ``CHART_WIDTH`` x ``CHART_HEIGHT`` (20 px for labels)."""
    paid = max(contract.period - contract.remaining_period, 0)
    total = contract.installment.amount * contract.period
    values = [(0, total)] + [(r.number, r.balance_after) for r in schedule(contract)]
    slot = CHART_WIDTH // len(values)
    plot = CHART_HEIGHT - 20
    bars = []
    for number, value in values:
        height = int(plot * value / total) if total else 0
        state = "past" if number < paid else ("now" if number == paid else "future")
        bars.append(Bar(x=number * slot + 2, y=plot - height, width=max(slot - 4, 2), height=height,
                        label=str(number), value=value, state=state))
    return bars
