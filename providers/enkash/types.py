"""What Paydesk keeps from EnKash's answers: small frozen records, money as Money (INR).

Each record has a ``from_payload`` builder that reads the ``payload`` of EnKash's
envelope; a missing or mistyped field raises KeyError / TypeError / ValueError, which
the client turns into ProviderInvalidResponse (or ProviderOutcomeUnknown after a call
that may have moved money).

No doc defines these payloads (only NOTES.md names some fields), so a builder requires
only what Paydesk cannot work without: the id it needs to ask again, when it did not
send that id itself, and the status, where NOTES.md promises one. Every other field is
optional. The ids and amount Paydesk sent (``order_id``, ``request_id``, ...) are passed
in and stand where the answer leaves them out, so a success whose payload is smaller
than the sandbox's is still a success, recorded under Paydesk's own identifiers. The
README lists the required fields of each answer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from providers.base.money import Money
from providers.base.optional import optional_field
from providers.base.redaction import mask_pan

CURRENCY = "INR"
PENDING, SUCCEEDED, FAILED, REFUNDED, CANCELLED, UNKNOWN = (
    "pending", "succeeded", "failed", "refunded", "cancelled", "unknown",
)

ORDER_STATUSES = {
    "CREATED": PENDING,
    "CHECKOUT_RENDERED": PENDING,
    # A payment attempt failed but the order can still be paid.
    "ATTEMPTED": PENDING,
    "PAYMENT_CONFIRMATION_PENDING": PENDING,
    "PAID": SUCCEEDED,
    "CANCELLED": CANCELLED,
    # Nobody paid before the order's expiry: no money moved, like a cancellation.
    "EXPIRED": CANCELLED,
}
PAYMENT_STATUSES = {
    "CREATED": PENDING,
    "AUTHORIZED": PENDING,
    "PENDING_WITH_BANK": PENDING,
    "SUCCESS": SUCCEEDED,
    "FAILED": FAILED,
    "CANCELLED": CANCELLED,
    # The payment stands; what was returned is in refunded_amount and the refunds.
    "PARTIALLY_REFUNDED": SUCCEEDED,
    "REFUNDED": REFUNDED,
}
REFUND_STATUSES = {"CREATED": PENDING, "PROCESSING": PENDING, "SUCCESS": SUCCEEDED, "FAILED": FAILED}
PAYOUT_STATUSES = {"INIT": PENDING, "PROCESSING": PENDING, "SUCCESS": SUCCEEDED, "FAILED": FAILED}


def normalise(table: dict[str, str], raw: object) -> str:
    return table.get(raw.strip().upper(), UNKNOWN) if isinstance(raw, str) else UNKNOWN


def inr(value: object) -> Money:
    """An amount as EnKash sends it: a decimal string ("100.50") or a JSON number."""
    if isinstance(value, dict):  # {value, currency}
        if value.get("currency", CURRENCY) != CURRENCY:
            raise ValueError(f"EnKash answered in {value.get('currency')!r}, not INR")
        value = value["value"]
    return Money.parse(value, CURRENCY)


def optional(parse: Callable[[object], Any], p: dict, key: str) -> Any:
    """An optional field: None when absent or unreadable (logged, see base.optional)."""
    return optional_field(parse, p.get(key), provider="EnKash", field=key)


def optional_inr(p: dict, key: str) -> Money | None:
    return optional(inr, p, key)


def given(p: dict, key: str, sent: object = None) -> str:
    """An identifier Paydesk may know from its own request: the one sent, which the answer
    may leave out; EnKash's when nothing was sent; KeyError when there is neither.

    An answer naming another id than the one sent is about something else (a swapped or
    cached answer, a proxy mixing up replies): ValueError, so the client calls it
    unreadable (an unknown outcome after a payment or refund) rather than record the
    other id as this one's."""
    value = p.get(key)
    if value in (None, ""):
        if sent in (None, ""):
            raise KeyError(key)
        return str(sent)
    if sent not in (None, "") and str(value) != str(sent):
        raise ValueError(f"the answer's {key} is not the one Paydesk sent")
    return str(value)


def optional_given(p: dict, key: str, sent: object = None) -> str | None:
    """Like ``given``, but None when neither the answer nor the request has the id."""
    return None if p.get(key) in (None, "") and sent in (None, "") else given(p, key, sent)


def amount_or(p: dict, key: str, sent: Money | None) -> Money | None:
    """EnKash's amount when it sends one Paydesk can read, else the amount sent (None if
    none was)."""
    answered = optional_inr(p, key)
    return sent if answered is None else answered


def raw_status(p: dict, key: str = "status", *, required: bool) -> str:
    """The raw status; "" (normalised to unknown, to be asked again) when it is optional
    and left out."""
    value = p[key] if required else p.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} is not a status")
    return value


def timestamp(value: object) -> datetime | None:
    """ISO 8601 (EnKash answers in IST, +05:30) or epoch milliseconds (a number, or a
    string of digits)."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str):
        raise TypeError(f"Not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def masked_card(value: object) -> str | None:
    """Re-mask whatever came back, so a careless upstream cannot put a PAN in our records."""
    if not value:
        return None
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return mask_pan(str(value)) if len(digits) >= 13 else str(value)


@dataclass(frozen=True, slots=True)
class AuthorizationToken:
    token: str = field(repr=False)
    expires_at: datetime

    @classmethod
    def from_body(cls, body: dict) -> AuthorizationToken:
        token = body["token"]
        if not isinstance(token, str) or not token:
            raise ValueError("EnKash sent no token")
        expiry = body["expiry"]
        if isinstance(expiry, bool) or not isinstance(expiry, int):
            raise TypeError("expiry must be epoch milliseconds")
        return cls(token=token, expires_at=datetime.fromtimestamp(expiry / 1000, tz=UTC))


@dataclass(frozen=True, slots=True)
class Refund:
    refund_id: str | None  # Paydesk finds a refund by its requestId; EnKash's id is extra
    request_id: str
    transaction_id: str
    amount: Money | None
    status: str
    raw_status: str
    arn: str | None  # the bank's reference once the refund has gone through
    remarks: str | None
    created_at: datetime | None

    @classmethod
    def from_payload(cls, p: dict, *, request_id: str | None = None, transaction_id: str | None = None,
                     amount: Money | None = None) -> Refund:
        """Required: ``status`` (NOTES.md: "payload has status"); ``requestId`` and
        ``transactionId`` too inside a payment's ``refunds`` list, where nothing was sent."""
        raw = raw_status(p, required=True)
        return cls(
            refund_id=text(p.get("refundId")),
            request_id=given(p, "requestId", request_id),
            transaction_id=given(p, "transactionId", transaction_id),
            amount=amount_or(p, "refundAmount", amount),
            status=normalise(REFUND_STATUSES, raw),
            raw_status=raw,
            arn=text(p.get("arn")),
            remarks=text(p.get("remarks")),
            created_at=optional(timestamp, p, "createdAt"),
        )


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment attempt (EnKash calls it a transaction) on an order."""

    transaction_id: str
    order_id: str | None  # None for a payment to a static QR code
    amount: Money | None  # None only when neither EnKash nor the request gave one
    status: str
    raw_status: str
    payment_mode: str | None
    refunded_amount: Money
    masked_card: str | None
    bank_reference: str | None
    failure_reason: str | None
    redirect_url: str | None
    created_at: datetime | None
    refunds: tuple[Refund, ...] = ()

    @classmethod
    def from_payload(cls, p: dict, *, transaction_id: str | None = None, order_id: str | None = None,
                     amount: Money | None = None, status_required: bool = True) -> Payment:
        """Required: ``transactionId`` unless it was asked for, and ``status`` on a status
        answer; a submitted payment without a status is ``unknown`` until asked again."""
        raw = raw_status(p, required=status_required)
        return cls(
            transaction_id=given(p, "transactionId", transaction_id),
            order_id=optional_given(p, "orderId", order_id),
            amount=amount_or(p, "amount", amount),
            status=normalise(PAYMENT_STATUSES, raw),
            raw_status=raw,
            payment_mode=text(p.get("paymentMode")),
            refunded_amount=inr(p.get("refundedAmount") or "0.00"),
            masked_card=masked_card(p.get("maskedCardNumber")),
            bank_reference=text(p.get("bankRefNo")),
            failure_reason=text(p.get("errorMessage")),
            redirect_url=text(p.get("redirectUrl")),
            created_at=optional(timestamp, p, "createdAt"),
            refunds=tuple(Refund.from_payload(r, transaction_id=given(p, "transactionId", transaction_id))
                          for r in p.get("refunds") or ()),
        )


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    enkash_order_id: str | None
    amount: Money | None  # None only when neither EnKash nor the request gave one
    status: str
    raw_status: str
    checkout_url: str | None
    description: str | None
    created_at: datetime | None
    expires_at: datetime | None
    payments: tuple[Payment, ...] = ()

    @classmethod
    def from_payload(cls, p: dict, *, order_id: str, amount: Money | None = None,
                     status_required: bool = True) -> Order:
        """Paydesk names the order (``order_id``) and asks again by that name, so nothing
        identifies it but the status of a status answer; a created order without one is
        ``unknown`` until ``order_status`` says."""
        raw = raw_status(p, required=status_required)
        return cls(
            order_id=given(p, "orderId", order_id),
            enkash_order_id=text(p.get("enkashOrderId")),
            amount=amount_or(p, "amount", amount),
            status=normalise(ORDER_STATUSES, raw),
            raw_status=raw,
            checkout_url=text(p.get("checkoutUrl")),
            description=text(p.get("description")),
            created_at=optional(timestamp, p, "createdAt"),
            expires_at=optional(timestamp, p, "expiresAt"),
            payments=tuple(Payment.from_payload(t, order_id=given(p, "orderId", order_id))
                           for t in p.get("transactions") or ()),
        )


@dataclass(frozen=True, slots=True)
class BnplPaymentMode:
    option_id: str
    provider: str
    display_name: str
    min_amount: Money
    max_amount: Money
    eligible: bool

    @classmethod
    def from_payload(cls, p: dict) -> BnplPaymentMode:
        eligible = p["eligible"]
        if not isinstance(eligible, bool):
            raise TypeError("eligible must be a boolean")
        return cls(
            option_id=str(p["bnplPaymentOptionId"]),
            provider=str(p["provider"]),
            display_name=str(p["displayName"]),
            min_amount=inr(p["minAmount"]),
            max_amount=inr(p["maxAmount"]),
            eligible=eligible,
        )


def _png(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("qrCodeBase64 must be a string")
    if not base64.b64decode(value, validate=True).startswith(b"\x89PNG"):
        raise ValueError("qrCodeBase64 is not a PNG")
    return value


@dataclass(frozen=True, slots=True)
class UpiIntentLink:
    order_id: str
    transaction_id: str
    amount: Money
    upi_url: str
    gpay: str
    phonepe: str
    paytm: str
    expires_at: datetime | None

    @classmethod
    def from_payload(cls, p: dict, *, order_id: str | None = None) -> UpiIntentLink:
        links = p["intentLinks"]
        return cls(
            order_id=given(p, "orderId", order_id),
            transaction_id=str(p["transactionId"]),
            amount=inr(p["amount"]),
            upi_url=str(links["upi"]),
            gpay=str(links["gpay"]),
            phonepe=str(links["phonepe"]),
            paytm=str(links["paytm"]),
            expires_at=optional(timestamp, p, "expiry"),
        )


@dataclass(frozen=True, slots=True)
class DynamicQrCode:
    order_id: str
    transaction_id: str
    amount: Money
    upi_url: str
    png_base64: str = field(repr=False)
    expires_at: datetime | None = None

    @property
    def png(self) -> bytes:
        return base64.b64decode(self.png_base64)

    @classmethod
    def from_payload(cls, p: dict, *, order_id: str | None = None) -> DynamicQrCode:
        return cls(
            order_id=given(p, "orderId", order_id),
            transaction_id=str(p["transactionId"]),
            amount=inr(p["amount"]),
            upi_url=str(p["upiUrl"]),
            png_base64=_png(p["qrCodeBase64"]),
            expires_at=optional(timestamp, p, "expiry"),
        )


@dataclass(frozen=True, slots=True)
class SettledTransaction:
    transaction_id: str
    order_id: str | None
    kind: str  # SALE or REFUND
    amount: Money
    charges: Money
    gst: Money
    net_amount: Money

    @classmethod
    def from_payload(cls, p: dict) -> SettledTransaction:
        return cls(
            transaction_id=str(p["transactionId"]),
            order_id=text(p.get("orderId")),
            kind=str(p["type"]),
            amount=inr(p["amount"]),
            charges=inr(p["charges"]),
            gst=inr(p["gst"]),
            net_amount=inr(p["netAmount"]),
        )


@dataclass(frozen=True, slots=True)
class SettlementPayout:
    payout_id: str
    status: str
    raw_status: str
    payout_mode: str | None
    utr: str | None
    payout_date: date | None
    total_sales: Money
    total_refunds: Money
    total_charges: Money
    total_gst: Money
    settlement_amount: Money
    carry_forward_amount: Money
    adjustment_amount: Money
    transaction_count: int
    transactions: tuple[SettledTransaction, ...] = ()

    @classmethod
    def from_payload(cls, p: dict) -> SettlementPayout:
        count = p["transactionCount"]
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError("transactionCount must be an integer")
        return cls(
            payout_id=str(p["id"]),
            status=normalise(PAYOUT_STATUSES, p["payoutStatus"]),
            raw_status=str(p["payoutStatus"]),
            payout_mode=text(p.get("payoutMode")),
            utr=text(p.get("utr")),
            payout_date=optional(date.fromisoformat, p, "payoutDate"),
            total_sales=inr(p["totalSalesAmount"]),
            total_refunds=inr(p["totalRefundAmount"]),
            total_charges=inr(p["totalChargesAmount"]),
            total_gst=inr(p["totalGstAmount"]),
            settlement_amount=inr(p["settlementAmount"]),
            carry_forward_amount=inr(p["carryForwardAmount"]),
            adjustment_amount=inr(p["adjustmentAmount"]),
            transaction_count=count,
            transactions=tuple(SettledTransaction.from_payload(t) for t in p.get("transactions") or ()),
        )


@dataclass(frozen=True, slots=True)
class SettlementPayoutPage:
    total_count: int
    offset: int
    limit: int
    payouts: tuple[SettlementPayout, ...]

    @classmethod
    def from_payload(cls, p: dict) -> SettlementPayoutPage:
        return cls(
            total_count=int(p["totalCount"]),
            offset=int(p["offset"]),
            limit=int(p["limit"]),
            payouts=tuple(SettlementPayout.from_payload(s) for s in p["settlementPayouts"]),
        )


@dataclass(frozen=True, slots=True)
class QrCustomer:
    customer_id: str
    name: str
    email: str | None
    mobile: str | None
    created_at: datetime | None

    @classmethod
    def from_payload(cls, p: dict) -> QrCustomer:
        return cls(
            customer_id=str(p["customerId"]),
            name=str(p["name"]),
            email=text(p.get("email")),
            mobile=text(p.get("mobile")),
            created_at=optional(timestamp, p, "createdAt"),
        )


@dataclass(frozen=True, slots=True)
class QrCustomerPage:
    total_count: int
    offset: int
    limit: int
    customers: tuple[QrCustomer, ...]

    @classmethod
    def from_payload(cls, p: dict) -> QrCustomerPage:
        return cls(
            total_count=int(p["totalCount"]),
            offset=int(p["offset"]),
            limit=int(p["limit"]),
            customers=tuple(QrCustomer.from_payload(c) for c in p["customers"]),
        )


@dataclass(frozen=True, slots=True)
class QrCode:
    qr_code_id: str
    name: str
    multiple_use: bool
    fixed_amount: bool
    amount: Money | None
    description: str | None
    expires_at: datetime | None
    raw_status: str  # ACTIVE or CANCELLED
    upi_url: str | None
    png_base64: str = field(repr=False)
    customer_id: str | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    customer_mobile: str | None = None
    payments_count: int = 0
    amount_received: Money = field(default_factory=lambda: Money.parse("0", CURRENCY))
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.raw_status.upper() == "ACTIVE"

    @property
    def png(self) -> bytes:
        return base64.b64decode(self.png_base64)

    @classmethod
    def from_payload(cls, p: dict) -> QrCode:
        multiple_use, fixed_amount = p["multipleUse"], p["fixedAmount"]
        if not isinstance(multiple_use, bool) or not isinstance(fixed_amount, bool):
            raise TypeError("multipleUse and fixedAmount must be booleans")
        return cls(
            qr_code_id=str(p["qrCodeId"]),
            name=str(p["qrName"]),
            multiple_use=multiple_use,
            fixed_amount=fixed_amount,
            amount=optional_inr(p, "amount"),
            description=text(p.get("description")),
            expires_at=optional(timestamp, p, "expiry"),
            raw_status=str(p["status"]),
            upi_url=text(p.get("upiUrl")),
            png_base64=_png(p["qrCodeBase64"]),
            customer_id=text(p.get("customerId")),
            customer_name=text(p.get("customerName")),
            customer_email=text(p.get("customerEmail")),
            customer_mobile=text(p.get("customerMobile")),
            payments_count=int(p.get("paymentsCount") or 0),
            amount_received=inr(p.get("amountReceived") or "0.00"),
            created_at=optional(timestamp, p, "createdAt"),
            updated_at=optional(timestamp, p, "updatedAt"),
        )


@dataclass(frozen=True, slots=True)
class QrCodePage:
    total_count: int
    offset: int
    limit: int
    qr_codes: tuple[QrCode, ...]

    @classmethod
    def from_payload(cls, p: dict) -> QrCodePage:
        return cls(
            total_count=int(p["totalCount"]),
            offset=int(p["offset"]),
            limit=int(p["limit"]),
            qr_codes=tuple(QrCode.from_payload(q) for q in p["qrCodes"]),
        )


@dataclass(frozen=True, slots=True)
class NotifyCallback:
    """What EnKash POSTs to an order's notifyUrl. Untrusted until order_status agrees."""

    order_id: str
    transaction_id: str
    amount: Money
    payment_mode: str | None
    raw_status: str
    order_status: str
    raw_order_status: str
    transaction_status: str
    raw_transaction_status: str
    masked_card: str | None
    checksum: str | None = field(default=None, repr=False)

    @classmethod
    def from_body(cls, p: dict[str, Any]) -> NotifyCallback:
        if p.get("currency", CURRENCY) != CURRENCY:
            raise ValueError(f"EnKash notified an amount in {p.get('currency')!r}, not INR")
        return cls(
            order_id=str(p["orderId"]),
            transaction_id=str(p["transactionId"]),
            amount=inr(p["amount"]),
            payment_mode=text(p.get("paymentMode")),
            raw_status=str(p["status"]),
            order_status=normalise(ORDER_STATUSES, p["orderStatus"]),
            raw_order_status=str(p["orderStatus"]),
            transaction_status=normalise(PAYMENT_STATUSES, p["transactionStatus"]),
            raw_transaction_status=str(p["transactionStatus"]),
            masked_card=masked_card(p.get("maskedCardNumber")),
            checksum=text(p.get("checksum")),
        )


# -- what Paydesk sends -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CustomerInfo:
    """The payer of an order, as EnKash's ``customerInfo``."""

    first_name: str
    last_name: str = ""
    email: str | None = None
    phone_number: str | None = None
    address: str | None = None

    def wire(self) -> dict[str, str]:
        fields = {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "phoneNumber": self.phone_number,
            "address": self.address,
        }
        return {k: v for k, v in fields.items() if v}


@dataclass(frozen=True, slots=True)
class CardDetail:
    """Card data for one payment. Never logged, never kept: repr shows first six / last four."""

    holder_name: str
    number: str
    cvv: str
    expiry: str  # MM/YY

    def __repr__(self) -> str:
        return f"CardDetail(holder_name=<redacted>, number={mask_pan(self.number)!r}, cvv=<redacted>)"

    @property
    def digits(self) -> str:
        return "".join(ch for ch in self.number if ch.isdigit())

    def wire(self) -> dict[str, str]:
        return {
            "cardHolderName": self.holder_name,
            "cardNumber": self.digits,
            "cvv": self.cvv,
            "expiry": self.expiry,
        }
