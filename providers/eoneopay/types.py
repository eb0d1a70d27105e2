"""What Paydesk keeps of EoneoPay's answers, and the inputs it sends.

Secrets (API keys, card tokens, card numbers, CVVs) are kept out of ``repr`` so that
a result printed in a log line or a traceback shows none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from providers.base.money import Money

# Normalised statuses (PRODUCT.md: pending, succeeded, failed, refunded, cancelled, unknown).
SUCCEEDED = "succeeded"
REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class NewCard:
    """A card to tokenise. The number and CVV go to EoneoPay once and never come back."""

    number: str = field(repr=False)
    expiry_date: str  # MM/YY
    cvv: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Card:
    """A tokenised card: the token charges it; the PAN is masked by EoneoPay."""

    token: str = field(repr=False)
    masked_pan: str  # first six, X's, last three, as EoneoPay sends it
    expiry_date: str  # MM/YY
    card_type: str  # EoneoPay's raw code: "2" American Express, "5" Master Card, "6" Visa
    description: str  # EoneoPay's label for the card type


@dataclass(frozen=True, slots=True)
class BankAccount:
    """An Australian bank account: BSB (``branch``) and account number, as digit strings."""

    name: str
    number: str = field(repr=False)  # the account number stays out of repr and logs
    branch: str


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    email: str
    address: str
    cards: tuple[Card, ...]
    bank_accounts: tuple[BankAccount, ...]


@dataclass(frozen=True, slots=True)
class Payment:
    txn_id: str
    amount: Money
    reference: str
    status: str  # normalised: always "succeeded" (a declined payment raises CardDeclined)
    raw_code: str  # EoneoPay's ``code`` as sent, e.g. "0"
    message: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Refund:
    txn_id: str  # the refund's own transaction
    payment_txn_id: str  # the payment it refunds
    amount: Money
    reference: str  # EoneoPay's ``purchaseOrderNo``: the payment's reference
    status: str  # normalised: always "refunded"
    raw_code: str  # "00" or "0"
    message: str


@dataclass(frozen=True, slots=True)
class ApiKeyPair:
    """A new key pair. Only the secret key authenticates API calls."""

    mode: str  # "test" or "live"
    secret_key: str = field(repr=False)
    public_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ApiKey:
    api_key: str = field(repr=False)
    permissions: str  # raw; "+" marks an administrator key
    raw_status: str  # raw; "1" active, "0" revoked
    status: str  # normalised: "active", "revoked" or "unknown"

    @property
    def is_admin(self) -> bool:
        return "+" in self.permissions


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """EoneoPay's answer to a delete or revoke: a code and a message, nothing else."""

    raw_code: str
    message: str
