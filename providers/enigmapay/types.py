"""What Paydesk keeps from EnigmaPay's answers: small frozen records, money as Money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from providers.base.money import Money

PENDING, SUCCEEDED, FAILED, CANCELLED, UNKNOWN = "pending", "succeeded", "failed", "cancelled", "unknown"

_STATUSES = {
    "pending": PENDING,
    "completed": SUCCEEDED,
    "failed": FAILED,
    "rejected": FAILED,
    "cancelled": CANCELLED,
    "canceled": CANCELLED,
}
# The parameter table says Active/Inactive but the doc's own example answers "Aktif":
# read both languages.
_ACTIVE = {"active": True, "aktif": True, "inactive": False, "passive": False, "pasif": False}


def normalise_status(raw: object) -> str:
    """Upstream transaction status → pending, succeeded, failed, cancelled or unknown."""
    if not isinstance(raw, str):
        return UNKNOWN
    return _STATUSES.get(raw.strip().casefold(), UNKNOWN)


def is_active(raw: object) -> bool:
    """A feature or IBAN status ("Aktif", "Active", "Pasif"...); anything unknown is off."""
    return isinstance(raw, str) and _ACTIVE.get(raw.strip().casefold(), False)


@dataclass(frozen=True, slots=True)
class Feature:
    """One channel of the dealer account (credit card, e-IBAN, manual IBAN)."""

    active: bool
    raw_status: str


@dataclass(frozen=True, slots=True)
class DealerSettings:
    credit_card: Feature
    credit_card_commission: Decimal  # percent
    eiban: Feature
    eiban_deposit_commission: Decimal  # percent
    eiban_withdrawal_commission: Decimal  # percent
    eiban_withdrawal_fee: Money  # fixed TRY per payout (see README)
    manual_iban: Feature
    manual_iban_deposit_commission: Decimal  # percent
    info: str


@dataclass(frozen=True, slots=True)
class Iban:
    id: int
    iban: str
    owner_name: str
    bank_name: str
    active: bool
    raw_status: str
    balance: Money  # as of the upstream's last refresh (at most once a minute)


@dataclass(frozen=True, slots=True)
class IbanTransaction:
    id: int
    type: str  # "deposit" or "withdrawal"
    amount: Money
    status: str
    raw_status: str
    username: str | None
    customer_name: str | None
    customer_iban: str | None
    description: str | None
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Payout:
    """A send-money answer. Past the id, nothing in it is promised: status may be
    ``unknown`` (ask ``transaction_status``); the last three fields are what was sent."""

    transaction_id: int
    status: str
    raw_status: str
    amount: Money
    username: str
    customer_iban: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionStatus:
    transaction_id: int
    status: str
    raw_status: str
    amount: Money
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CreditCardPayment:
    transaction_id: int
    order_id: str
    payment_url: str
    amount: Money


@dataclass(frozen=True, slots=True)
class StatusCallback:
    """An unsigned notification: confirm it with ``transaction_status`` before trusting it."""

    transaction_id: int
    status: str
    raw_status: str
    amount: Money
    username: str | None
    description: str | None
    completed_at: datetime | None
