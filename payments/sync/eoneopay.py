"""EoneoPay has no syncer, on purpose.

Its doc has no payment-status, refund-status or search call (providers/eoneopay/README.md,
"Unknown outcomes"), and payments are approved or declined in the answer itself, so
nothing is ever pending. The one open state is ``unknown``: the answer to a charge or a
refund was lost. Nothing Paydesk can call would settle it, and asking on a schedule
would only count failures, so instead of waiting out the sync's bound
(``payments.sync.policy.attention_after``) such a transaction is flagged "needs
attention" at once, with the reference to look for in EoneoPay's dashboard. It stays
``unknown`` (``payments.transitions``: only the provider's own answer resolves it) and
is never re-sent.
"""

from __future__ import annotations

from django.utils import timezone

from payments.models import Transaction
from payments.transitions import transaction_note


def flag_unknown(*, transaction: Transaction) -> None:
    """Flag an unknown EoneoPay charge or refund for a person, once, and say why."""
    what = "charge" if transaction.kind == "payment" else "refund"
    reason = (f"EoneoPay has no status call: look for reference {transaction.reference} in the EoneoPay "
              f"dashboard to see whether this {what} went through. Paydesk will not send it again.")
    flagged = Transaction.objects.filter(pk=transaction.pk, needs_attention_since__isnull=True).update(
        needs_attention_since=timezone.now(), attention_reason=reason[:300], next_sync_at=None
    )
    if flagged:
        transaction_note(transaction=transaction, source="system", actor="Paydesk", note=f"Needs attention: {reason}")
