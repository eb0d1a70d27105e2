"""One applier per provider: how to read its callback body and how to ask the provider
what the callback claims. Everything else (finding the transaction, comparing, applying,
recording the outcome) is the same for all and lives in ``payments.callbacks.services``.

An applier's ``read`` turns the raw bytes into a ``Claim`` (or raises
ProviderInvalidResponse); its ``confirm`` asks the provider about that transaction and
returns a ``Confirmation`` (or raises a ProviderError). A confirm call is always a read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from payments.models import Kind
from providers.base.client import ProviderClient
from providers.base.money import Money
from providers.enigmapay.client import parse_status_callback
from providers.enkash.client import parse_notify_callback as parse_enkash_notify
from providers.vospay.client import parse_notify_callback as parse_vospay_notify


@dataclass(frozen=True)
class Claim:
    """What an untrusted callback says happened."""

    external_id: str
    status: str  # normalised: pending, succeeded, failed, cancelled, unknown
    raw_status: str
    amount: Money | None
    order_id: str = ""  # Vospay's verify-transaction asks by both ids


@dataclass(frozen=True)
class Confirmation:
    """What the provider's own status call says about the same transaction."""

    status: str
    raw_status: str
    amount: Money | None
    answer: object = None  # the status call's whole answer, for ``Applier.also``


@dataclass(frozen=True)
class Applier:
    label: str
    kinds: tuple[str, ...]  # the transaction kinds its callbacks are about
    read: Callable[[bytes], Claim]
    confirm: Callable[[ProviderClient, Claim], Confirmation]
    # Run after a confirmed callback is applied (or found applied already), with the
    # transaction, the confirmation and the actor label: what else the provider's own
    # answer says (EnKash: the order's payments). Never run for a callback not borne out.
    also: Callable[[object, Confirmation, str], None] | None = None


# -- EnigmaPay: status callback, confirmed by transaction-status --------------------------
def _enigmapay_read(raw: bytes) -> Claim:
    found = parse_status_callback(raw)
    return Claim(external_id=str(found.transaction_id), status=found.status, raw_status=found.raw_status,
                 amount=found.amount)


def _enigmapay_confirm(client: ProviderClient, claim: Claim) -> Confirmation:
    found = client.transaction_status(transaction_id=int(claim.external_id))
    return Confirmation(status=found.status, raw_status=found.raw_status, amount=found.amount)


# -- Vospay: notify, confirmed by verify-transaction ---------------------------------------
# The notify names the transaction (found by its Vospay transaction ID among the
# connection's orders) and the contract's new status word. verify-transaction answers
# only Valid / Invalid: "Valid" proves that this transaction ID, order ID (Paydesk's
# reference, which Vospay only knows from the order's own checkout) and gross amount
# were finalized and stand. So it bears out a contract that stands (Pending, Approved,
# Edited, Fulfilled, Settled) and nothing else: a Cancelled or Refund notify is not
# confirmed by a "Valid" (the answer is shown as Vospay's, and a person looks), and
# "Invalid" confirms nothing. A forged or stale notify changes nothing and says so.
_VOSPAY_STANDING = ("pending", "succeeded")


def _vospay_read(raw: bytes) -> Claim:
    found = parse_vospay_notify(raw)
    return Claim(external_id=found.transaction_id, status=found.status, raw_status=found.raw_status,
                 amount=found.gross_amount, order_id=found.order_id)


def _vospay_confirm(client: ProviderClient, claim: Claim) -> Confirmation:
    found = client.verify_transaction(transaction_id=claim.external_id, order_id=claim.order_id,
                                      gross_amount=claim.amount)
    if not found.valid:
        return Confirmation(status="unconfirmed", raw_status="Invalid (no finalized purchase with these details)",
                            amount=None)
    if claim.status not in _VOSPAY_STANDING:
        return Confirmation(status="succeeded", raw_status="Valid (the purchase stands)", amount=claim.amount)
    return Confirmation(status=claim.status, raw_status=claim.raw_status, amount=claim.amount)


# -- EnKash: a notify names the order and one of its payments. It is about the order
# (found by the orderId Paydesk gave it), confirmed by order_status; once that agrees,
# the payments order_status lists are recorded from EnKash's own answer (also), never
# from the notify. A notify about a payment of an order that is already paid (a refund
# made it PARTIALLY_REFUNDED) confirms the order as it is, and brings the payment up to
# date. -----------------------------------------------------------------------------
def _enkash_read(raw: bytes) -> Claim:
    found = parse_enkash_notify(raw)
    return Claim(external_id=found.order_id, status=found.order_status, raw_status=found.raw_order_status,
                 amount=found.amount)


def _enkash_confirm(client: ProviderClient, claim: Claim) -> Confirmation:
    found = client.order_status(order_id=claim.external_id)
    return Confirmation(status=found.status, raw_status=found.raw_status, amount=found.amount, answer=found)


def _enkash_also(order, confirmed: Confirmation, actor_label: str) -> None:
    from payments.models import TransactionEvent
    from payments.services.common import Actor
    from payments.services.enkash import payment_record

    actor = Actor(TransactionEvent.Source.CALLBACK, actor_label)
    for payment in getattr(confirmed.answer, "payments", ()):
        payment_record(order=order, found=payment, actor=actor)


APPLIERS: dict[str, Applier] = {
    "enigmapay": Applier("EnigmaPay", (Kind.PAYOUT, Kind.PAYMENT_LINK), _enigmapay_read, _enigmapay_confirm),
    "vospay": Applier("Vospay", (Kind.ORDER,), _vospay_read, _vospay_confirm),
    "enkash": Applier("EnKash", (Kind.ORDER,), _enkash_read, _enkash_confirm, also=_enkash_also),
}


def applier_for(provider: str) -> Applier | None:
    return APPLIERS.get(provider)


def same_amount(a: Money | None, b: Money | None) -> bool:
    """Equal value and currency; ``None`` (a provider that did not say) matches only None."""
    if a is None or b is None:
        return a is b
    return a.currency == b.currency and Decimal(a.amount) == Decimal(b.amount)
