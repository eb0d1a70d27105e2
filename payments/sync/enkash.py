"""EnKash's syncers: orders (``order_status``, which also records the payments it lists),
payments (``transaction_status``) and refunds (their payment's ``transaction_status``;
an unknown one not listed is sent again with the same requestId, which EnKash answers
with the refund already made)."""

from __future__ import annotations

from payments.models import Kind, Transaction
from payments.services.common import Actor
from payments.services.enkash import order_check_status, payment_check_status, refund_check_status
from payments.sync.registry import SyncOutcome, syncer


def _outcome(before: str, after: Transaction) -> SyncOutcome:
    return SyncOutcome(status=after.status, changed=after.status != before, note=after.last_error)


@syncer("enkash", Kind.ORDER)
def enkash_order(transaction: Transaction) -> SyncOutcome:
    before = transaction.status
    return _outcome(before, order_check_status(order=transaction, actor=Actor.sync()))


@syncer("enkash", Kind.PAYMENT)
def enkash_payment(transaction: Transaction) -> SyncOutcome:
    before = transaction.status
    return _outcome(before, payment_check_status(payment=transaction, actor=Actor.sync()))


@syncer("enkash", Kind.REFUND)
def enkash_refund(transaction: Transaction) -> SyncOutcome:
    before = transaction.status
    return _outcome(before, refund_check_status(refund=transaction, actor=Actor.sync()))
