"""Refunds, whatever the provider: one entry point for pages and the API, one rule for
how much of a payment is left to refund.

Each provider registers the function that refunds one of its payments:

    @refunder("enkash")
    def enkash_refund(*, payment, amount, actor, idempotency_token=None) -> Transaction: ...

A refunder saves the refund ``Transaction`` (kind ``refund``, ``parent=payment``) before
calling the provider, locks the payment row (``select_for_update``) while it checks the
amount against ``refundable_amount``, and marks the refund ``unknown`` when the answer
is lost. ``refund_create`` only finds the refunder; providers whose refunds are always
full (EoneoPay) reject any other amount with a ValidationError.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum

from payments.models import Kind, Status, Transaction
from payments.services.common import Actor

Refunder = Callable[..., Transaction]
REFUNDERS: dict[str, Refunder] = {}
# Providers whose refunders take any amount up to what is left (several refunds per
# payment; pages show the amount field); the others refund the whole payment only.
# Filled by ``refunder(..., partial=...)``.
PARTIAL_REFUNDS: set[str] = set()

# A refund in one of these still holds (or may hold) its share of the payment.
HOLDING = (Status.PENDING, Status.SUCCEEDED, Status.UNKNOWN)


def refunder(provider: str, *, partial: bool = True) -> Callable[[Refunder], Refunder]:
    """Register ``provider``'s refunder; ``partial=False`` for full-only refunds (EoneoPay)."""

    def register(fn: Refunder) -> Refunder:
        if provider in REFUNDERS:
            raise RuntimeError(f"two refunders for {provider}")
        REFUNDERS[provider] = fn
        if partial:
            PARTIAL_REFUNDS.add(provider)
        return fn

    return register


def refunded_amount(payment: Transaction) -> Decimal:
    """What the payment's refunds hold: succeeded ones, and those still pending or unknown
    (which may yet succeed), so two refunds can never together pass the captured amount."""
    total = payment.children.filter(kind=Kind.REFUND, status__in=HOLDING).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0")


def refundable_amount(payment: Transaction) -> Decimal:
    return payment.amount - refunded_amount(payment)


def can_refund(payment: Transaction) -> bool:
    return (payment.kind == Kind.PAYMENT and payment.status == Status.SUCCEEDED
            and payment.provider in _refunders() and refundable_amount(payment) > 0)


def has_refunder(provider: str) -> bool:
    return provider in _refunders()


def refunds_partial(provider: str) -> bool:
    """Whether a refund of ``provider``'s payments may be for less than what is left."""
    _refunders()
    return provider in PARTIAL_REFUNDS


def refund_create(
    *, payment: Transaction, amount: Decimal | None, actor: Actor, idempotency_token: str | None = None,
    **options,
) -> Transaction:
    """Refund ``amount`` of ``payment`` (None: all that is left) through its provider.
    ``options`` go to the refunder as they are (EnKash: ``remarks``, ``on_created``)."""
    fn = _refunders().get(payment.provider)
    if fn is None or payment.kind != Kind.PAYMENT:
        raise ValidationError("This payment cannot be refunded from Paydesk.", code="not_refundable")
    return fn(payment=payment, amount=amount, actor=actor, idempotency_token=idempotency_token, **options)


def _refunders() -> dict[str, Refunder]:
    # The provider services register on import; imported late to avoid an import cycle.
    from payments.services import enkash, eoneopay  # noqa: F401

    return REFUNDERS
