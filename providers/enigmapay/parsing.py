"""EnigmaPay answers → the records in ``types``. A KeyError, TypeError or ValueError
raised here means the answer had an unexpected shape; the client turns it into
ProviderInvalidResponse (or ProviderOutcomeUnknown after a payout). Only required fields
can fail an answer: an optional one Paydesk cannot read is left empty (``_optional``, see
``providers/base/optional.py``), so an odd ``completed_at`` never makes a payout unknown."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from providers.base.money import Money
from providers.base.optional import optional_field
from providers.enigmapay import wire
from providers.enigmapay.types import (
    CreditCardPayment,
    DealerSettings,
    Feature,
    Iban,
    IbanTransaction,
    Payout,
    StatusCallback,
    TransactionStatus,
    is_active,
    normalise_status,
)

CURRENCY = "TRY"


def _data(body: Any) -> Any:
    if not isinstance(body, dict) or body.get("success") is not True:
        raise ValueError("answer lacks success: true")
    return body["data"]


def _money(value: Any) -> Money:
    return Money.parse(value, CURRENCY).quantized()


def _percent(value: Any) -> Decimal:
    # Not money, but Money.parse is the strict decimal reader (no float, no bool, no NaN).
    return Money.parse(value, CURRENCY).amount


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an id")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if not isinstance(value, int):
        raise TypeError(f"expected an integer id, got {type(value).__name__}")
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _optional(parse, data: dict, key: str) -> Any:
    """An optional field: None when absent or unreadable (logged, see base.optional)."""
    return optional_field(parse, data.get(key), provider="EnigmaPay", field=key)


def _optional_text(data: dict, key: str) -> str | None:
    return _optional(_text, data, key)


def _optional_timestamp(data: dict, key: str):
    return _optional(wire.parse_timestamp, data, key)


def _required_text(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError("missing text")
    return text


def _rows(value: Any) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise TypeError("expected a list of objects")
    return value


def _feature(section: dict) -> Feature:
    raw = _required_text(section["status"])
    return Feature(active=is_active(raw), raw_status=raw)


def build_settings(body: Any) -> DealerSettings:
    data = _data(body)
    card, eiban, manual = data["credit_card"], data["eiban"], data["manual_iban"]
    return DealerSettings(
        credit_card=_feature(card),
        credit_card_commission=_percent(card["commission"]),
        eiban=_feature(eiban),
        eiban_deposit_commission=_percent(eiban["deposit_commission"]),
        eiban_withdrawal_commission=_percent(eiban["withdrawal_commission"]),
        eiban_withdrawal_fee=_money(eiban.get("withdrawal_fee") or "0"),
        manual_iban=_feature(manual),
        manual_iban_deposit_commission=_percent(manual["deposit_commission"]),
        info=_optional_text(body, "info") or "",
    )


def _build_iban(row: dict) -> Iban:
    raw = _required_text(row["status"])
    return Iban(
        id=_int(row["id"]),
        iban=_required_text(row["iban"]),
        owner_name=_optional_text(row, "owner_name") or "",
        bank_name=_optional_text(row, "bank_name") or "",
        active=is_active(raw),
        raw_status=raw,
        balance=_money(row["balance"]),
    )


def build_ibans(body: Any) -> tuple[Iban, ...]:
    return tuple(_build_iban(row) for row in _rows(_data(body)))


def _build_iban_transaction(row: dict) -> IbanTransaction:
    raw = _required_text(row["status"])
    return IbanTransaction(
        id=_int(row["id"]),
        type=_required_text(row["type"]),
        amount=_money(row["amount"]),
        status=normalise_status(raw),
        raw_status=raw,
        username=_optional_text(row, "username"),
        customer_name=_optional_text(row, "customer_name"),
        customer_iban=_optional_text(row, "customer_iban"),
        description=_optional_text(row, "description"),
        created_at=wire.parse_timestamp(_required_text(row["created_at"])),
        completed_at=_optional_timestamp(row, "completed_at"),
    )


def build_iban_transactions(body: Any) -> tuple[IbanTransaction, ...]:
    return tuple(_build_iban_transaction(row) for row in _rows(_data(body)))


def build_payout(body: Any, sent: dict[str, Any]) -> Payout:
    """The doc shows no send-money answer, so only ``success: true`` and the id (under
    either name it could have: ``transaction_id`` or ``id``) are required; the id is what
    ``transaction_status`` is asked with. A missing status is ``unknown`` (asked again),
    a missing amount is the amount sent, and the payout carries what Paydesk sent
    (username, IBAN, description) so it can be matched whatever else the answer holds."""
    data = _data(body)
    if not isinstance(data, dict):
        raise TypeError("data is not an object")
    raw = _optional_text(data, "status") or ""
    amount = _optional(_money, data, "amount")
    return Payout(
        transaction_id=_int(data["transaction_id"] if data.get("transaction_id") is not None else data["id"]),
        status=normalise_status(raw),
        raw_status=raw,
        amount=amount if amount is not None else Money(sent["amount"], CURRENCY),
        username=sent["username"],
        customer_iban=sent["customer_iban"],
        description=sent.get("description"),
    )


def build_transaction_status(body: Any) -> TransactionStatus:
    data = _data(body)
    raw = _required_text(data["status"])
    return TransactionStatus(
        transaction_id=_int(data["id"]),
        status=normalise_status(raw),
        raw_status=raw,
        amount=_money(data["amount"]),
        created_at=wire.parse_timestamp(_required_text(data["created_at"])),
        completed_at=_optional_timestamp(data, "completed_at"),
    )


def build_credit_card_payment(body: Any) -> CreditCardPayment:
    data = _data(body)
    if data.get("currency", CURRENCY) != CURRENCY:
        raise ValueError("credit card payment in an unexpected currency")
    return CreditCardPayment(
        transaction_id=_int(data["transaction_id"]),
        order_id=_required_text(data["order_id"]),
        payment_url=_required_text(data["payment_url"]),
        amount=_money(data["amount"]),
    )


def build_status_callback(data: Any) -> StatusCallback:
    if not isinstance(data, dict):
        raise TypeError("callback body is not a JSON object")
    raw = _required_text(data["status"])
    return StatusCallback(
        transaction_id=_int(data["transaction_id"]),
        status=normalise_status(raw),
        raw_status=raw,
        amount=_money(data["amount"]),
        username=_optional_text(data, "username"),
        description=_optional_text(data, "description"),
        completed_at=_optional_timestamp(data, "completed_at"),
    )
