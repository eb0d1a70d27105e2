"""The one place that knows which status may follow which, and the one function that
changes a transaction's status.

Rules, as a table a reader can check:

    from \\ to    pending  succeeded  failed  refunded  cancelled  unknown
    pending         ·         ✓         ✓        ·          ✓         ✓
    unknown         ✓*        ✓*        ✓*       ·          ✓*        ·
    succeeded       ·         ·         ·        ✓          ·         ·
    failed, refunded, cancelled: final, nothing follows

- A final status never moves back. ``succeeded → refunded`` is the one move out of
  succeeded (a refund of the whole amount), and refunded is final.
- ``unknown`` (a money-moving call got no readable answer) resolves only from the
  provider's own answer (*): a status call, or a callback confirmed by one. A person or
  a program cannot declare an unknown payout failed, because it may have been paid.
- Asking to move to the status a transaction already has changes nothing and writes
  no event (sync runs often; the timeline shows changes, not polls). A newer raw
  status is still recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction as db_transaction
from django.utils import timezone

from config.db import bulk_update_by_pk
from payments.models import Status, Transaction, TransactionEvent

# Final: the provider will not change these (a refund of a succeeded payment is the one
# move out of one).
FINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.REFUNDED, Status.CANCELLED})

ALLOWED: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.UNKNOWN}),
    Status.UNKNOWN: frozenset({Status.PENDING, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED}),
    Status.SUCCEEDED: frozenset({Status.REFUNDED}),
    Status.FAILED: frozenset(),
    Status.REFUNDED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def is_final(status: str) -> bool:
    return status in FINAL


def may_follow(current: str, new: str, *, from_provider: bool) -> bool:
    if new not in ALLOWED.get(current, ()):
        return False
    return from_provider or current != Status.UNKNOWN


@dataclass(frozen=True)
class TransitionResult:
    transaction: Transaction
    changed: bool
    refused: str = ""  # why a requested change was not made; empty when it was or was a no-op


def transition_apply(
    *,
    transaction: Transaction,
    to_status: str,
    source: str,
    actor: str = "",
    raw_status: str = "",
    note: str = "",
    from_provider: bool = False,
    fields: dict | None = None,
) -> TransitionResult:
    """Move ``transaction`` to ``to_status`` if the table allows it, under a row lock,
    writing its event in the same database transaction. ``fields`` are other columns
    to save with the change (``external_id``, ``last_error``, ``next_sync_at``...).

    A refused change is not an error: a late or replayed provider answer ("pending"
    after "succeeded") must not break the sync that carried it. It is returned with
    the reason and the row left as it was (``fields`` included)."""
    request = TransitionRequest(
        transaction=transaction, to_status=to_status, source=source, actor=actor, raw_status=raw_status,
        note=note, from_provider=from_provider, fields=fields,
    )
    _check_status(to_status)
    with db_transaction.atomic():
        locked = Transaction.objects.select_for_update().get(pk=transaction.pk)
        update, event, result = _decide(locked, request)
        if update:
            locked.save(update_fields=[*update, "updated_at"])
        if event is not None:
            event.save()
    _copy(locked, transaction)
    return result


@dataclass(frozen=True)
class TransitionRequest:
    """One ``transition_apply`` call, as data, for ``transition_apply_many``."""

    transaction: Transaction
    to_status: str
    source: str
    actor: str = ""
    raw_status: str = ""
    note: str = ""
    from_provider: bool = False
    fields: dict | None = None


def transition_apply_many(
    requests: Sequence[TransitionRequest], *, release_lease: datetime | None = None
) -> list[TransitionResult]:
    """``transition_apply`` for many rows in ONE database transaction: the rows locked by
    one ``SELECT ... FOR UPDATE`` (in id order, so two batches cannot deadlock), the same
    rules applied to each request in turn (two requests for one row: the second sees the
    first's outcome), one UPDATE per set of changed columns, one INSERT of the events.
    Results in the order of ``requests``; each caller's instance gets its row as it now
    stands. A sync batch applies its answers this way: five round trips per transaction
    were most of its database time.

    ``release_lease``: the rows still under this sync lease (``sync_lease_until``) are
    released in the same UPDATE, whatever the rules decided (their answer is recorded):
    one write of each row instead of two. A row another claim has leased since keeps
    that lease."""
    if not requests:
        return []
    for request in requests:
        _check_status(request.to_status)
    pks = sorted({r.transaction.pk for r in requests})
    results: list[TransitionResult] = []
    with db_transaction.atomic():
        locked = {row.pk: row for row in Transaction.objects.select_for_update().filter(pk__in=pks).order_by("pk")}
        if len(locked) != len(pks):
            raise Transaction.DoesNotExist(f"no transaction {sorted(set(pks) - set(locked))}")
        updates: dict[int, set[str]] = {}
        events: list[TransactionEvent] = []
        for request in requests:
            update, event, result = _decide(locked[request.transaction.pk], request)
            updates.setdefault(request.transaction.pk, set()).update(update)
            if event is not None:
                events.append(event)
            results.append(result)
        if release_lease is not None:
            for pk, names in updates.items():
                if locked[pk].sync_lease_until == release_lease:
                    locked[pk].sync_lease_until = None
                    names.add("sync_lease_until")
        now = timezone.now()
        groups: dict[frozenset[str], list[Transaction]] = {}
        for pk, names in updates.items():
            if names:
                locked[pk].updated_at = now  # bulk_update does not run auto_now
                groups.setdefault(frozenset(names), []).append(locked[pk])
        for names, rows in groups.items():
            bulk_update_by_pk(rows, [*sorted(names), "updated_at"])
        if events:
            TransactionEvent.objects.bulk_create(events)
    for request in requests:
        _copy(locked[request.transaction.pk], request.transaction)
    return results


def _check_status(to_status: str) -> None:
    if to_status not in Status.values:
        raise ValueError(f"{to_status!r} is not a transaction status")


def _decide(
    locked: Transaction, request: TransitionRequest
) -> tuple[set[str], TransactionEvent | None, TransitionResult]:
    """The rules, applied to the locked row in memory: the columns to save, the event to
    write (None when the status did not change) and the result. Shared by both paths."""
    current = locked.status
    if request.to_status == current:
        update = _assign(locked, raw_status=request.raw_status, fields=request.fields)
        return update, None, TransitionResult(locked, changed=False)
    if not may_follow(current, request.to_status, from_provider=request.from_provider):
        return set(), None, TransitionResult(locked, changed=False, refused=_why(current, request.to_status))
    locked.status = request.to_status
    update = _assign(locked, raw_status=request.raw_status, fields=request.fields, status=True)
    event = TransactionEvent(
        transaction=locked, source=request.source, actor=request.actor[:150], from_status=current,
        to_status=request.to_status, raw_status=request.raw_status[:60], note=request.note,
    )
    return update, event, TransitionResult(locked, changed=True)


def transaction_record_created(*, transaction: Transaction, source: str, actor: str = "", note: str = "") -> None:
    """The first event of a new transaction's timeline (from nothing to its status)."""
    TransactionEvent.objects.create(
        transaction=transaction, source=source, actor=actor[:150], from_status="",
        to_status=transaction.status, raw_status=transaction.raw_status, note=note,
    )


def transaction_note(
    *, transaction: Transaction, source: str, actor: str = "", note: str, raw_status: str = ""
) -> None:
    """A timeline entry that changes no status ("EnigmaPay accepted it", "not found yet")."""
    current = Transaction.objects.values_list("status", flat=True).get(pk=transaction.pk)
    TransactionEvent.objects.create(
        transaction_id=transaction.pk, source=source, actor=actor[:150], from_status=current,
        to_status=current, raw_status=raw_status[:60], note=note,
    )


def _assign(locked: Transaction, *, raw_status: str, fields: dict | None, status: bool = False) -> set[str]:
    update = set()
    if status:
        update.add("status")
    if raw_status and raw_status[:60] != locked.raw_status:
        locked.raw_status = raw_status[:60]
        update.add("raw_status")
    for name, value in (fields or {}).items():
        setattr(locked, name, value)
        update.add(name)
    return update


def _copy(source: Transaction, target: Transaction) -> None:
    """Give the caller's instance the row as it now stands."""
    if source is not target:
        for field in Transaction._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


def _why(current: str, new: str) -> str:
    if current == Status.UNKNOWN:
        return "An unknown outcome is resolved only by the provider's own answer."
    if current in FINAL:
        return f"A {current} transaction cannot become {new}."
    return f"A {current} transaction cannot move to {new}."
