"""Checks made before any request leaves Paydesk, so that a bad amount or IFSC never
costs a round trip (or, worse, reaches a call that moves money).

They raise ``ValueError`` with a plain sentence that never repeats card data; the
client wraps it into ProviderInputError with a stable code and no HTTP status.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from providers.base.money import Money

CURRENCY = "INR"
MIN_AMOUNT = Decimal("0.01")
IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
MAX_PAGE_SIZE = 5000
DIRECTIONS = ("ASC", "DESC")


def amount(value: Money | Decimal | int | str) -> Money:
    """A positive INR amount with at most two decimals (at least 0.01 INR)."""
    if isinstance(value, Money):
        if value.currency != CURRENCY:
            raise ValueError(f"EnKash takes amounts in INR only, not {value.currency}.")
        value = value.amount
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise ValueError("The amount must be a decimal number of rupees, not a float.")
    try:
        decimal = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("The amount is not a number.") from None
    if not decimal.is_finite() or decimal.as_tuple().exponent < -2:
        raise ValueError("The amount must have at most two decimal places (paise).")
    if decimal < MIN_AMOUNT:
        raise ValueError("The amount must be at least 0.01 INR.")
    return Money(decimal.quantize(Decimal("0.01")), CURRENCY)


def wire_amount(money: Money) -> str:
    """EnKash amounts travel as decimal strings with two places, e.g. "100.50"."""
    return f"{money.amount:.2f}"


def ifsc(value: str) -> str:
    """An Indian bank branch code: four letters, a zero, six letters or digits."""
    code = (value or "").strip().upper()
    if not IFSC_RE.match(code):
        raise ValueError("The IFSC is not valid: it must be four letters, a zero, then six letters or digits.")
    return code


def page(offset: int, limit: int, max_limit: int = MAX_PAGE_SIZE) -> tuple[int, int]:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError("The offset must be a whole number, zero or more.")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= max_limit:
        raise ValueError(f"The page size must be between 1 and {max_limit}.")
    return offset, limit


def direction(value: str) -> str:
    upper = (value or "").upper()
    if upper not in DIRECTIONS:
        raise ValueError("The sort direction must be ASC or DESC.")
    return upper


def required(value: str | None, what: str) -> str:
    if not value or not str(value).strip():
        raise ValueError(f"{what} is required.")
    return str(value).strip()
