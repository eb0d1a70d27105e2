"""Applying a stored callback: claim → parse → find → confirm → apply → record.

Policy that is not obvious:
- A callback is a rumour. Nothing in it is applied: the provider's own status call is
  asked, and only when it agrees with the callback on status *and* amount (and its
  amount is the transaction's) does its status go through ``transitions``, as the
  provider's answer (``from_provider=True``, source ``callback``). When they disagree
  nothing changes and the event says why ("not confirmed: ..."). The provider's answer
  is then deliberately *not* applied from here either: a callback that lies is a reason
  to look, not to act, and the status sync asks the provider on its own schedule.
- The transaction is looked for among the payouts and links *of the connection the
  callback came in on* (its URL token). Another connection's transaction is "unknown"
  here, exactly like an id nobody has: the outcome is shown to this merchant and must
  not reveal that another merchant has such a transaction.
- Exactly once, under replays and races: an event is claimed by one conditional UPDATE
  (pending → processing, attempts + 1); a second worker's UPDATE matches nothing and it
  stops. A worker that dies leaves a claim that expires after ``claim_lease()``; the next
  one re-applies, and ``transitions`` turns the repeat into a no-op (same status: no
  event written; a final status never moves). That idempotency is what makes a crash,
  a redelivered message or an admin "re-run" safe.
- A provider that cannot answer (unavailable, bad answer) is not a verdict: the claim is
  released (back to pending, the error kept) and the task retries with backoff. A
  refusal of the status call ("no such transaction") is a verdict: ignored, with why.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from payments.callbacks.appliers import Applier, Claim, Confirmation, applier_for, same_amount
from payments.models import Status, Transaction, TransactionEvent
from payments.transitions import is_final, transition_apply
from providers.base.errors import ProviderError, ProviderInvalidResponse, ProviderRejected
from providers.base.money import Money
from providers.callbacks import claim_lease
from providers.models import WebhookEvent
from providers.services import client_for

logger = logging.getLogger("payments.callbacks")

Processing = WebhookEvent.Processing

# Normalised provider status → the transaction status it confirms; anything else
# (``unknown``, a word Paydesk does not know) is not applied.
_APPLICABLE = {
    "pending": Status.PENDING,
    "succeeded": Status.SUCCEEDED,
    "failed": Status.FAILED,
    "cancelled": Status.CANCELLED,
}


class CallbackNotConfirmedYet(Exception):
    """The provider could not be asked now; the event is pending again and the task retries."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Verdict:
    processing: str
    outcome: str
    trusted: bool = False
    error: str = ""


def callback_apply(*, event_id: int) -> Verdict | None:
    """Apply one stored callback, once. None when another worker holds it, it is
    finished, or it is gone: there is nothing for this call to do."""
    claimed_at = _claim(event_id)
    if claimed_at is None:
        return None
    try:
        event = WebhookEvent.objects.select_related("connection").get(pk=event_id)
        verdict, external_id = _judge(event)
    except CallbackNotConfirmedYet as e:
        _release(event_id, claimed_at, error=e.message)
        raise
    except DatabaseError:
        # A lost connection or a lock: not a verdict. Free the event for the retry (if
        # even that fails, the lease expires and the sweep takes it).
        with contextlib.suppress(DatabaseError):
            _release(event_id, claimed_at, error="Paydesk's database failed while applying it; retrying.")
        raise
    _finish(event_id, claimed_at, verdict, external_id=external_id)
    return verdict


def callback_give_up(*, event_id: int, error: str) -> None:
    """After the last retry: failed, with the provider's last error. A re-run can try again."""
    WebhookEvent.objects.filter(pk=event_id).exclude(processing=Processing.PROCESSED).update(
        processing=Processing.FAILED, error=error[:2000], outcome="failed: the provider could not confirm it",
        processed_at=timezone.now(), claimed_at=None,
    )


def callbacks_left_behind() -> list[int]:
    """Events no worker will apply on its own: pending for longer than a lease (their
    enqueue never reached the broker) or claimed by a worker that died. Oldest first."""
    cutoff = timezone.now() - claim_lease()
    stale = Q(processing=Processing.PENDING, last_received_at__lt=cutoff) | Q(
        processing=Processing.PROCESSING, claimed_at__lt=cutoff
    )
    return list(WebhookEvent.objects.filter(stale).order_by("received_at").values_list("pk", flat=True)[:500])


# -- claim and record ----------------------------------------------------------------------
def _claim(event_id: int) -> datetime | None:
    """One conditional UPDATE, atomic on its own: of two workers, one matches the row."""
    now = timezone.now()
    free = Q(processing=Processing.PENDING) | Q(processing=Processing.PROCESSING, claimed_at__lt=now - claim_lease())
    taken = WebhookEvent.objects.filter(free, pk=event_id).update(
        processing=Processing.PROCESSING, claimed_at=now, attempts=F("attempts") + 1
    )
    return now if taken else None


def _mine(event_id: int, claimed_at: datetime):
    return WebhookEvent.objects.filter(pk=event_id, processing=Processing.PROCESSING, claimed_at=claimed_at)


def _finish(event_id: int, claimed_at: datetime, verdict: Verdict, *, external_id: str) -> None:
    done = _mine(event_id, claimed_at).update(
        processing=verdict.processing, outcome=verdict.outcome[:300], trusted=verdict.trusted,
        error=verdict.error[:2000], external_id=external_id[:100], processed_at=timezone.now(), claimed_at=None,
    )
    if not done:  # the lease ran out and another worker took over; its record stands
        logger.warning("callback %s: claim lost before its outcome was recorded", event_id)


def _release(event_id: int, claimed_at: datetime, *, error: str) -> None:
    _mine(event_id, claimed_at).update(processing=Processing.PENDING, error=error[:2000], claimed_at=None)


# -- parse, find, confirm, apply -------------------------------------------------------------
def _judge(event: WebhookEvent) -> tuple[Verdict, str]:
    applier = applier_for(event.provider)
    if applier is None:
        return Verdict(Processing.IGNORED, f"ignored: Paydesk applies no {event.provider} callbacks"), ""
    try:
        claim = applier.read(event.raw_body() or b"")
    except ProviderInvalidResponse as e:
        return Verdict(Processing.FAILED, "unreadable: not a callback Paydesk can read", error=e.message), ""
    found = _find(event, applier, claim)
    if found is None:
        return Verdict(Processing.IGNORED, f"unknown transaction: no {applier.label} transaction "
                       f"#{claim.external_id} on this connection"), claim.external_id
    return _confirm_and_apply(event, applier, claim, found), claim.external_id


def _find(event: WebhookEvent, applier: Applier, claim: Claim) -> Transaction | None:
    return (
        Transaction.objects.filter(
            merchant_id=event.connection.merchant_id, connection_id=event.connection_id,
            external_id=claim.external_id, kind__in=applier.kinds,
        ).order_by("pk").first()
    )


def _confirm_and_apply(event: WebhookEvent, applier: Applier, claim: Claim, found: Transaction) -> Verdict:
    try:
        confirmed = applier.confirm(client_for(event.connection), claim)
    except ProviderRejected as e:
        return Verdict(Processing.IGNORED, f"not confirmed: {e.message}")
    except ProviderError as e:
        raise CallbackNotConfirmedYet(f"{applier.label} could not confirm it yet: {e.message} ({e.code})") from e
    disagreement = _disagreement(applier, claim, confirmed, found)
    if disagreement:
        return Verdict(Processing.IGNORED, f"not confirmed: {disagreement}")
    return _apply(event, applier, confirmed, found)


def _disagreement(applier: Applier, claim: Claim, confirmed: Confirmation, found: Transaction) -> str:
    """Why the callback is not borne out, or '' when the provider agrees with it."""
    said, says = claim.raw_status or claim.status, confirmed.raw_status or confirmed.status
    if claim.status != confirmed.status:
        return f"the callback says {said}, {applier.label} says {says}"
    if not same_amount(claim.amount, confirmed.amount):
        return f"the callback says {_shown(claim.amount)}, {applier.label} says {_shown(confirmed.amount)}"
    ours = Money(found.amount, found.currency)
    if not same_amount(confirmed.amount, ours):
        kind = found.get_kind_display().lower()
        return f"{applier.label}'s amount {_shown(confirmed.amount)} is not the {kind}'s {_shown(ours)}"
    if confirmed.status not in _APPLICABLE:
        return f"{applier.label}'s status {says} is not one Paydesk applies"
    return ""


def _apply(event: WebhookEvent, applier: Applier, confirmed: Confirmation, found: Transaction) -> Verdict:
    before = found.status
    to_status = _APPLICABLE[confirmed.status]
    fields = {"next_sync_at": None} if is_final(to_status) else None
    result = transition_apply(
        transaction=found, to_status=to_status, source=TransactionEvent.Source.CALLBACK,
        actor=f"{applier.label} callback #{event.pk}", raw_status=confirmed.raw_status, from_provider=True,
        fields=fields, note=f"{applier.label} callback, confirmed by its status call: {confirmed.raw_status}.",
    )
    if applier.also is not None:
        applier.also(found, confirmed, f"{applier.label} callback #{event.pk}")
    ref = found.reference
    if result.changed:
        return Verdict(Processing.PROCESSED, f"applied to {ref}: {before} → {to_status}", trusted=True)
    if result.refused:
        return Verdict(Processing.IGNORED, f"not applied to {ref}: {result.refused}", trusted=True)
    return Verdict(Processing.PROCESSED, f"confirmed; {ref} was already {to_status}", trusted=True)


def _shown(amount: Money | None) -> str:
    return "no amount" if amount is None else f"{amount.amount:.2f} {amount.currency}"
