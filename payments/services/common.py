"""What every money service shares: who is acting, and how an amount is checked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from payments.models import TransactionEvent

Source = TransactionEvent.Source


@dataclass(frozen=True)
class Actor:
    """Who asked for a change: it goes on the transaction's timeline."""

    source: str
    label: str = ""
    user: object | None = None  # the dashboard user, when there is one

    @classmethod
    def for_user(cls, user) -> Actor:
        return cls(Source.USER, user.get_username(), user)

    @classmethod
    def for_api_key(cls, api_key) -> Actor:
        return cls(Source.API_KEY, f"API key {getattr(api_key, 'name', api_key)}")

    @classmethod
    def sync(cls) -> Actor:
        return cls(Source.SYNC, "status sync")

    @classmethod
    def system(cls) -> Actor:
        return cls(Source.SYSTEM, "Paydesk")

    @property
    def user_or_none(self):
        return self.user if getattr(self.user, "pk", None) else None


def with_reference(description: str, reference: str) -> str:
    """The description sent upstream, carrying Paydesk's reference so that the provider's
    own history can be matched back to the transaction."""
    return f"{description} [{reference}]" if description else reference


_PLAIN = re.compile(r"\d+(\.\d+)?")
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
# "1.500" or "1.500.000,00": dots as thousands separators (Turkish, Indonesian habit).
# Read as a decimal it is 1.5; meant, it is 1500. Never guessed: refused with why.
_DOT_GROUPED = re.compile(r"[1-9]\d{0,2}(\.\d{3})+(,\d+)?")


def _parse(value: object) -> Decimal | None:
    """A Decimal, an int or a plain decimal string ("1250.5", "1,250.50"); None for
    anything a person could misread: floats, "12,5", "1e3", NaN, signs."""
    if isinstance(value, bool | float):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def checked_amount(value: object, *, field: str = "amount", places: int = 2, minimum: Decimal | None = None,
                   maximum: Decimal | None = None, currency: str = "") -> Decimal:
    """A positive amount with at most ``places`` decimals, or ValidationError on ``field``."""
    amount = _parse(value)
    if isinstance(value, str) and _DOT_GROUPED.fullmatch(value.strip()) and (
        amount is None or -amount.as_tuple().exponent > places
    ):
        raise ValidationError({field: f"“{value.strip()}” could be read two ways. Write it without thousands "
                                      "separators and with a dot for decimals, e.g. 1500 or 1500.50."})
    if amount is None:
        raise ValidationError({field: "Enter an amount such as 1250.00."})
    if amount.adjusted() >= 15:
        raise ValidationError({field: "That amount is too large."})
    if amount <= 0:
        raise ValidationError({field: "The amount must be more than zero."})
    if -amount.as_tuple().exponent > places:
        raise ValidationError({field: f"Use at most {places} decimal places."})
    if minimum is not None and amount < minimum:
        raise ValidationError({field: f"The minimum is {minimum} {currency}".strip() + "."})
    if maximum is not None and amount > maximum:
        raise ValidationError({field: f"That is more than the available balance ({maximum} {currency})."})
    return amount.quantize(Decimal(1).scaleb(-places))
