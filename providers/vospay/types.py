"""What Paydesk keeps from Vospay's answers: small frozen records, money as ``Money``.

Statuses are kept raw (``raw_status``, Vospay's own word) and normalised (``status``:
pending, succeeded, failed, refunded, cancelled, unknown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from providers.base.money import Money


@dataclass(frozen=True, slots=True)
class OtpSent:
    phone: str
    action: str  # "activation" or "transaction"
    message: str


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A customer's Vospay session. The token is a secret: it never shows in a repr."""

    token: str = field(repr=False)
    strategy: str
    user_id: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Activation:
    has_registered: bool  # True: the customer already has an access code, skip registration


@dataclass(frozen=True, slots=True)
class Multifinance:
    name: str
    logo: str | None
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class Account:
    vospay_number: str = field(repr=False)  # personal data: kept out of repr and logs
    multifinance: Multifinance


@dataclass(frozen=True, slots=True)
class AccountList:
    total: int
    accounts: tuple[Account, ...]


@dataclass(frozen=True, slots=True)
class Merchant:
    merchant_id: str
    name: str
    merchant_key: str
    icon: str | None
    logo: str | None
    site: str | None
    # Vospay also sends the merchant's secretKey; Paydesk has no use for it and drops it.


@dataclass(frozen=True, slots=True)
class MerchantList:
    total: int
    merchants: tuple[Merchant, ...]


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One purchased line: ``price`` is the unit price (the doc's example only adds up so)."""

    name: str
    quantity: int
    price: Money


@dataclass(frozen=True, slots=True)
class InstallmentPlan:
    installment_id: str
    period: int  # tenor in months
    rate: Decimal  # flat interest over the whole tenor: installment = amount * (1 + rate) / period
    monthly_payment: Money


@dataclass(frozen=True, slots=True)
class AuthorizedTransaction:
    transaction_id: str
    order_id: str
    vospay_number: str = field(repr=False)
    full_name: str
    gross_amount: Money
    available_credit: Money
    credit_limit: Money
    account_expiry: date | None
    installment_plans: tuple[InstallmentPlan, ...]
    merchant_logo: str | None = None
    mfc_logo: str | None = None


@dataclass(frozen=True, slots=True)
class FinalizedTransaction:
    transaction_id: str
    installment_id: str
    raw_status: str  # "Success"
    status: str  # "succeeded": Vospay committed the credit; the contract follows


@dataclass(frozen=True, slots=True)
class TransactionVerification:
    transaction_id: str
    raw_status: str  # "Valid" or "Invalid"
    status: str  # succeeded or failed
    processed_at: datetime | None

    @property
    def valid(self) -> bool:
        return self.raw_status == "Valid"


@dataclass(frozen=True, slots=True)
class ProfileAccount:
    vospay_number: str = field(repr=False)
    mfc_code: str
    phone: str
    is_locked: bool
    credit_limit: Money
    available_credit: Money
    activated_at: datetime | None
    account_expiry: datetime | None
    multifinance: Multifinance


@dataclass(frozen=True, slots=True)
class Profile:
    full_name: str
    email: str | None
    nik: str = field(repr=False)  # national ID number: personal data, kept out of reprs
    accounts: tuple[ProfileAccount, ...] = ()


@dataclass(frozen=True, slots=True)
class Contract:
    contract_number: str
    vospay_number: str = field(repr=False)
    transaction_id: str
    order_id: str
    merchant_name: str | None
    period: int
    remaining_period: int
    installment: Money  # monthly, interest included
    transaction_amount: Money
    interest_rate: Decimal
    next_payment_due: date | None
    transaction_date: date | None
    raw_status: str
    status: str
    # What was bought (unit prices) and the costs on top, as the contract list sends them.
    items: tuple[OrderItem, ...] = ()
    shipping_cost: Money | None = None
    insurance_cost: Money | None = None
    processing_fee: Money | None = None
    tax: Money | None = None


@dataclass(frozen=True, slots=True)
class ContractList:
    total: int
    contracts: tuple[Contract, ...]


@dataclass(frozen=True, slots=True)
class NotifyCallback:
    """What Vospay POSTs to the ``notifyEndpoint`` once a finalized transaction's contract
    changes status. Unsigned: confirm it with ``verify_transaction`` before trusting it."""

    transaction_id: str
    order_id: str
    gross_amount: Money
    raw_status: str
    status: str
    vospay_number: str | None = field(repr=False)
    installment_id: str | None
    contract_number: str | None
    timestamp: datetime | None
