"""Money is a Decimal with its currency, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# ISO 4217 minor units of the currencies Paydesk handles. IDR has two minor units in
# ISO 4217 but is settled in whole rupiah; Vospay amounts are whole numbers.
CURRENCY_EXPONENTS = {"SDG": 2, "TRY": 2, "IDR": 0, "AUD": 2, "INR": 2}


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
        digits."""
        if isinstance(value, bool | float) or value is None:
            raise InvalidAmount(f"Not an exact amount: {value!r}")
        try:
            amount = Decimal(str(value).replace(",", "") if isinstance(value, str) else str(value))
        except InvalidOperation as e:
            raise InvalidAmount(f"Not an amount: {value!r}") from e
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
