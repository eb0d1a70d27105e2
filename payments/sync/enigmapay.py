"""EnigmaPay's syncers: payouts and card payment links, both by transaction-status."""

from __future__ import annotations

from payments.models import Kind, Transaction
from payments.services.common import Actor
from payments.services.links import payment_link_check_status
from payments.services.payouts import payout_check_status, payout_status_ask
from payments.sync.registry import SyncOutcome, asker, syncer
from payments.transitions import TransitionRequest


@syncer("enigmapay", Kind.PAYOUT)
def enigmapay_payout(transaction: Transaction) -> SyncOutcome:
    before = transaction.status
    payout = payout_check_status(payout=transaction, actor=Actor.sync())
    return SyncOutcome(status=payout.status, changed=payout.status != before, note=payout.last_error)


@syncer("enigmapay", Kind.PAYMENT_LINK)
def enigmapay_payment_link(transaction: Transaction) -> SyncOutcome:
    before = transaction.status
    link = payment_link_check_status(link=transaction, actor=Actor.sync())
    return SyncOutcome(status=link.status, changed=link.status != before)


@asker("enigmapay", Kind.PAYOUT)
def enigmapay_payout_ask(transaction: Transaction) -> TransitionRequest | SyncOutcome:
    """The batch form of ``enigmapay_payout``: the same call, the answer left to apply."""
    request = payout_status_ask(payout=transaction, actor=Actor.sync())
    if request is not None:
        return request
    return SyncOutcome(status=transaction.status, changed=False, note=transaction.last_error)
