"""Money is a Decimal with its currency, never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 minor units of the currencies Paydesk handles. IDR has two minor units in
# ISO 4217 but is settled in whole rupiah; Vospay amounts are whole numbers.
CURRENCY_EXPONENTS = {"SDG": 2, "TRY": 2, "IDR": 0, "AUD": 2, "INR": 2}


# What an amount written as text may look like: digits with a decimal point, or the
# same with the whole part in thousands groups of three ("1,234,567.50"). Only ASCII
# digits: Decimal() would also read other scripts' digits, and no wire sends those.
_PLAIN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
_GROUPED = re.compile(r"-?[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)


class InvalidAmount(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if self.currency not in CURRENCY_EXPONENTS:
            raise InvalidAmount(f"Unsupported currency {self.currency!r}")

    @classmethod
    def parse(cls, value: object, currency: str) -> Money:
        """From an upstream number (int or Decimal: the client parses JSON numbers with
        a fraction as Decimal) or string. A float is refused: it may already have lost
        digits.

        A string is read only when it can mean one amount: "1234.50", or "1,234.50"
        and "1,234,567" with thousands groups. "12,5", "1,50" or "1,234" may be a
        decimal comma (12.5, 1.50, 1.234 where the comma is the decimal mark), so they
        are refused rather than read ten to a thousand times too large."""
        if isinstance(value, bool | float) or value is None:
            raise InvalidAmount(f"Not an exact amount: {value!r}")
        if isinstance(value, str):
            amount = _decimal_from_text(value)
        elif isinstance(value, int | Decimal):
            amount = Decimal(value)
        else:
            raise InvalidAmount(f"Not an amount: {value!r}")
        if not amount.is_finite():
            raise InvalidAmount(f"Not an amount: {value!r}")
        return cls(amount, currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise InvalidAmount(f"Minor units must be an integer, got {minor!r}")
        return cls(Decimal(minor).scaleb(-CURRENCY_EXPONENTS[currency]), currency)

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]

    def quantized(self) -> Money:
        """Rounded to the currency's minor unit; raises if that would change the value."""
        quantum = Decimal(1).scaleb(-self.exponent)
        q = self.amount.quantize(quantum, rounding=ROUND_HALF_EVEN)
        if q != self.amount:
            raise InvalidAmount(
                f"{self.amount} {self.currency} has more than {self.exponent} decimal places"
            )
        return Money(q, self.currency)

    def to_minor(self) -> int:
        return int(self.quantized().amount.scaleb(self.exponent))

    def __str__(self) -> str:
        return f"{self.quantized().amount:,} {self.currency}" if self._exact() else f"{self.amount} {self.currency}"

    def _exact(self) -> bool:
        try:
            self.quantized()
        except InvalidAmount:
            return False
        return True


def _decimal_from_text(text: str) -> Decimal:
    if _PLAIN.fullmatch(text):
        return Decimal(text)
    # A single group with no decimal point ("1,234") is as likely a decimal comma.
    if _GROUPED.fullmatch(text) and (text.count(",") > 1 or "." in text):
        return Decimal(text.replace(",", ""))
    if "," in text:
        raise InvalidAmount(
            f"Ambiguous amount {text!r}: write it with a decimal point, and commas only "
            "between thousands (1,234.50)"
        )
    raise InvalidAmount(f"Not an amount: {text!r}")
