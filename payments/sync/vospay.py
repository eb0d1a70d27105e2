"""Vospay's syncer: installment orders, by verify-transaction.

Only orders whose customer reached Vospay (a Vospay transaction ID, set by the
checkout) are ever due: an order still waiting for its customer has no
``next_sync_at`` and is not asked about (there is nothing at Vospay to ask)."""

from __future__ import annotations

from payments.models import Kind, Transaction
from payments.services.common import Actor
from payments.services.vospay import vospay_order_verify
from payments.sync.registry import SyncOutcome, syncer


@syncer("vospay", Kind.ORDER)
def vospay_order(transaction: Transaction) -> SyncOutcome:
    before = transaction.status
    if not transaction.external_id:  # not at checkout: stop asking until the checkout says so
        Transaction.objects.filter(pk=transaction.pk).update(next_sync_at=None)
        return SyncOutcome(status=before, changed=False, note="The customer has not reached Vospay yet.")
    order = vospay_order_verify(order=transaction, actor=Actor.sync())
    return SyncOutcome(status=order.status, changed=order.status != before, note=order.last_error)
