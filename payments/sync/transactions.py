"""Claim due transactions, fan them out one batch task per connection, run a batch.

A claim is one short database transaction per connection: the due rows are locked with
``select_for_update(skip_locked=True)`` (rows another worker holds are skipped, not
waited for) and given a lease (``sync_lease_until``, also pushed into ``next_sync_at``)
before any provider is called. A batch asks only about rows still under *its* lease, on
a bounded pool of threads sharing the connection's pooled HTTP session, outside any
database transaction; each answer is applied by its syncer through
``payments.transitions``. Nothing here sends money, so a batch run twice (a message
redelivered after a worker died) asks twice and changes nothing the second time.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from datetime import datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection as db_connection
from django.db import connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils import timezone

from payments.models import SyncRun, Transaction
from payments.sync import policy
from payments.sync.registry import SyncOutcome, asker_for, syncable_kinds, syncer_for
from payments.transitions import FINAL, TransitionRequest, transaction_note, transition_apply_many
from providers.base.errors import ProviderAuthenticationError, ProviderError, ProviderUnavailable
from providers.models import ProviderConnection
from providers.services import client_cache, current_client_cache

logger = logging.getLogger("payments.sync")

# Failures that say the connection, not the transaction, is the problem.
CONNECTION_FAILURES = (ProviderUnavailable, ProviderAuthenticationError)
# A batch stops asking after this many connection failures (a single flaky call does not).
CONNECTION_FAILURE_LIMIT = 3


# -- claiming and fanning out --------------------------------------------------------------
def transactions_dispatch(*, merchant=None, trigger: str = SyncRun.Trigger.SCHEDULE, user=None) -> list[SyncRun]:
    """Claim what is due (every merchant, or one merchant for "sync now") and enqueue one
    batch task per connection and batch, after commit. A scheduled run skips a connection
    that is backing off; a person's "sync now" asks anyway (it is the manual retry) and
    also takes what is not due yet, flagged rows included."""
    manual = trigger == SyncRun.Trigger.MANUAL
    now = timezone.now()
    runs_close_interrupted(now=now)
    runs = []
    for connection in _connections(merchant=merchant, now=now, manual=manual):
        run = _dispatch_connection(connection, now=now, manual=manual, user=user, trigger=trigger)
        if run is not None:
            runs.append(run)
    return runs


def _connections(*, merchant, now: datetime, manual: bool) -> list[ProviderConnection]:
    if manual:
        return list(ProviderConnection.objects.filter(merchant=merchant, provider__in=_providers()))
    due = _open(Transaction.objects.filter(next_sync_at__lte=now))
    ids = set(due.order_by().values_list("connection_id", flat=True).distinct())
    held = {run.connection_id for run in _latest_runs(ids) if run.next_attempt_at and run.next_attempt_at > now}
    return list(ProviderConnection.objects.filter(pk__in=ids - held))


def _dispatch_connection(connection, *, now: datetime, manual: bool, user, trigger: str) -> SyncRun | None:
    lease_until = now + policy.lease()
    batches: list[list[int]] = []
    claimed = 0
    while claimed < policy.claim_limit():
        pks = _claim(connection, now=now, lease_until=lease_until, manual=manual)
        if not pks:
            break
        batches.append(pks)
        claimed += len(pks)
    if not batches and not manual:
        return None
    run = SyncRun.objects.create(
        task=SyncRun.Task.TRANSACTIONS, merchant_id=connection.merchant_id, connection=connection,
        trigger=trigger, requested_by=user if getattr(user, "pk", None) else None, total=claimed,
        consecutive_failures=_previous_failures(connection),
        finished_at=None if batches else now,
    )
    from payments.tasks import transactions_sync_batch  # the task module imports this one

    for pks in batches:
        transaction.on_commit(
            lambda pks=pks: transactions_sync_batch.delay(run.pk, pks, lease_until.isoformat())
        )
    return run


def _claim(connection, *, now: datetime, lease_until: datetime, manual: bool) -> list[int]:
    """Lock up to one batch of the connection's claimable rows and lease them."""
    with transaction.atomic():
        rows = _open(Transaction.objects.filter(connection=connection))
        rows = rows.filter(Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now))
        if manual:
            rows = rows.filter(Q(next_sync_at__isnull=False) | Q(needs_attention_since__isnull=False))
        else:
            rows = rows.filter(next_sync_at__lte=now)
        pks = list(
            rows.select_for_update(skip_locked=True).order_by("next_sync_at", "pk")
            .values_list("pk", flat=True)[: policy.batch_size()]
        )
        if pks:
            Transaction.objects.filter(pk__in=pks).update(sync_lease_until=lease_until, next_sync_at=lease_until)
    return pks


def _open(queryset):
    """Rows a syncer exists for and that can still change."""
    kinds = Q()
    for provider, kind in syncable_kinds():
        kinds |= Q(provider=provider, kind=kind)
    return queryset.filter(kinds).exclude(status__in=FINAL)


def _providers() -> set[str]:
    return {provider for provider, _ in syncable_kinds()}


def _latest_runs(connection_ids) -> list[SyncRun]:
    runs = SyncRun.objects.filter(connection_id__in=connection_ids, task=SyncRun.Task.TRANSACTIONS)
    return list(runs.order_by("connection_id", "-created_at", "-id").distinct("connection_id")) \
        if db_connection.features.can_distinct_on_fields else _latest_by_hand(runs)


def _latest_by_hand(runs) -> list[SyncRun]:
    latest: dict[int, SyncRun] = {}
    for run in runs.order_by("-created_at", "-id"):
        latest.setdefault(run.connection_id, run)
    return list(latest.values())


def _previous_failures(connection) -> int:
    last = SyncRun.objects.filter(connection=connection, task=SyncRun.Task.TRANSACTIONS, finished_at__isnull=False)
    return last.values_list("consecutive_failures", flat=True).first() or 0


# -- running a batch -----------------------------------------------------------------------
# Counts are written to the SyncRun every FLUSH_EVERY answers, with the leases of the rows
# answered so far released in the same database transaction: a batch delivered again
# (its worker died) asks only about what had not been recorded, and counts it once. Rows
# applied in groups (``_Answers``) lose their lease in the UPDATE that records their
# answer instead (one write per row, not two): a batch that dies before the next flush
# does not ask them again, and its run, short of those counts, is closed as interrupted.
FLUSH_EVERY = 25
_COUNTS = ("done", "changed", "failed")


@dataclass
class _Tally:
    """What a batch's threads report, flushed to the SyncRun now and then (progress)."""

    run_id: int
    lease_until: datetime
    done: int = 0
    changed: int = 0
    failed: int = 0
    connection_failures: int = 0
    asked: int = 0
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    unflushed: dict = field(default_factory=lambda: dict.fromkeys(_COUNTS, 0))
    answered: list = field(default_factory=list)  # pks whose lease the next flush releases
    since_flush: int = 0  # answers recorded since the last flush
    answered_unapplied: int = 0  # answers waiting in their group (``_Answers``), not added yet
    stop: threading.Event = field(default_factory=threading.Event)  # the soft time limit

    def add(self, pk: int, *, changed: bool = False, failed: bool = False, connection_failure: bool = False,
            error: str = "", released: bool = False, from_group: bool = False) -> None:
        """One answer recorded. ``released``: its lease went with the change already.
        ``from_group``: applied with its group (``_Answers``), counted by
        ``answered_upstream`` when it came."""
        with self.lock:
            self.answered_unapplied -= from_group
            self.done += 1
            self.asked += 1
            self.changed += changed
            self.failed += failed
            self.connection_failures += connection_failure
            self.error = error or self.error
            for name, value in (("done", 1), ("changed", int(changed)), ("failed", int(failed))):
                self.unflushed[name] += value
            if not released:
                self.answered.append(pk)
            self.since_flush += 1
            due = self.since_flush >= FLUSH_EVERY
        if due:
            self.flush()

    @property
    def connection_down(self) -> bool:
        asked = self.asked + self.answered_unapplied
        return self.connection_failures >= CONNECTION_FAILURE_LIMIT or (
            asked > 0 and self.connection_failures == asked
        )

    def answered_upstream(self) -> None:
        with self.lock:
            self.answered_unapplied += 1

    def flush(self, *, extra_done: int = 0) -> None:
        """Counts (never past the run's total, whatever was delivered twice) and the
        answered rows' leases, in one database transaction."""
        with self.lock:
            counts, self.unflushed = self.unflushed, dict.fromkeys(_COUNTS, 0)
            answered, self.answered, self.since_flush = self.answered, [], 0
        counts["done"] += extra_done
        with transaction.atomic():
            if answered:
                Transaction.objects.filter(pk__in=answered, sync_lease_until=self.lease_until).update(
                    sync_lease_until=None)
            if any(counts.values()):
                SyncRun.objects.filter(pk=self.run_id).update(
                    **{k: Least(F(k) + v, F("total")) for k, v in counts.items() if v})


def transactions_sync_batch(*, run_id: int, pks: list[int], lease_until: datetime) -> SyncRun:
    """Ask about the rows of ``pks`` still under this batch's lease, a few at a time, and
    record the run. Rows another claim has taken since (this batch ran late), or that a
    first delivery of this batch recorded already, are not asked again.

    Celery's soft time limit (``SoftTimeLimitExceeded``, raised in this thread) stops
    the threads: each finishes the call it is in, the rows not asked are due again at
    once, the run is recorded, and the exception goes on to Celery."""
    SyncRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=timezone.now())
    rows = list(
        Transaction.objects.filter(pk__in=pks, sync_lease_until=lease_until).select_related("connection")
    )
    tally = _Tally(run_id=run_id, lease_until=lease_until)
    try:
        with client_cache():
            left = _run_threads(rows, tally)
    except SoftTimeLimitExceeded:
        _wrap_up(pks, rows, tally, stopped=True)
        raise
    _wrap_up(pks, rows, tally, left=left)
    return _finish(run_id, tally)


def _wrap_up(pks, rows, tally: _Tally, *, left=(), stopped: bool = False) -> None:
    """Record what was answered. What was not asked waits for the connection's next
    attempt (it went down) or, after the soft time limit, is due again at once."""
    if stopped:
        tally.flush()  # releases the answered rows: what is still under the lease was never asked
        Transaction.objects.filter(pk__in=pks, sync_lease_until=tally.lease_until).update(
            next_sync_at=timezone.now(), sync_lease_until=None)
        SyncRun.objects.filter(pk=tally.run_id).update(finished_at=timezone.now(), error=STOPPED)
        return
    _release(list(left), tally)
    # Rows of ``pks`` not under this lease were recorded by an earlier delivery of this
    # batch (counted then) or taken by a later claim (counted by its run): not counted
    # here. Should that leave this run short of its total, ``runs_close_interrupted``
    # closes it once its lease has passed.
    tally.flush(extra_done=len(left))
    Transaction.objects.filter(pk__in=pks, sync_lease_until=tally.lease_until).update(sync_lease_until=None)


STOPPED = "Stopped at the time limit; the transactions not asked yet are due again."


def _run_threads(rows: list[Transaction], tally: _Tally) -> list[Transaction]:
    """Sync ``rows`` on at most ``policy.threads_per_batch()`` threads sharing the batch's
    clients; returns the rows not asked because the connection went down meanwhile. A
    soft time limit raised while waiting for the threads sets ``tally.stop``, and each
    thread stops after the call it is in."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for row in rows:
        work.put(row)
    left: list[Transaction] = []
    clients = current_client_cache()

    def drain() -> None:
        while not tally.stop.is_set():
            try:
                row = work.get_nowait()
            except queue.Empty:
                return
            if tally.connection_down:
                left.append(row)
                continue
            _sync_row(row, tally, answers)

    def thread_main(finished: threading.Event) -> None:
        try:
            with client_cache(clients):
                drain()
                answers.apply(tally)  # what this thread (or another, done before it) left
        finally:
            connections.close_all()  # this thread's own database connection
            finished.set()

    answers = _Answers()
    count = _thread_count(len(rows))
    if count <= 1:
        drain()
        answers.apply(tally)
        return left
    # Waited for by events, not Thread.join: a join that the soft time limit interrupts
    # (on Python 3.11) can mark a thread stopped while it still runs, and the batch would
    # be wrapped up under it (seen: an answer recorded after the run's last flush).
    finished = [threading.Event() for _ in range(count)]
    for event in finished:
        threading.Thread(target=thread_main, args=(event,), daemon=True).start()
    try:
        for event in finished:
            while not event.wait(timeout=0.5):
                pass
    except BaseException:
        tally.stop.set()
        for event in finished:  # each finishes its call (bounded by the client's timeouts)
            event.wait()
        raise
    return left


def _thread_count(rows: int) -> int:
    # SQLite takes one writer at a time (and, in memory, fails a second one at once):
    # threads would only queue up on its lock.
    if db_connection.vendor == "sqlite":
        return 1
    return max(1, min(policy.threads_per_batch(), rows))


# Answers of syncers with a batch form are applied this many at a time, in one database
# transaction (a lock, an UPDATE per set of columns, an INSERT of the events).
APPLY_EVERY = 25


class _Answers:
    """Provider answers waiting to be applied, shared by a batch's threads: the thread
    whose answer fills a group applies it; each thread applies what is left when it runs
    out of rows. A row's lease is released only with its answer (in the same UPDATE), so
    a batch that dies before applying it asks about it again on redelivery."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: list[tuple[Transaction, TransitionRequest]] = []

    def put(self, row: Transaction, request: TransitionRequest, tally: _Tally) -> None:
        with self.lock:
            self.waiting.append((row, request))
            full = len(self.waiting) >= APPLY_EVERY
        if full:
            self.apply(tally)

    def apply(self, tally: _Tally) -> None:
        with self.lock:
            group, self.waiting = self.waiting, []
        if not group:
            return
        try:
            # The rows' leases are released in the same UPDATE as their answers.
            results = transition_apply_many([request for _, request in group], release_lease=tally.lease_until)
        except Exception:  # a bug must not stop the batch; the leases run out and they are due again
            logger.exception("applying %s sync answers failed", len(group))
            for row, _ in group:
                tally.add(row.pk, failed=True, error="Paydesk could not apply the answer; see the logs.",
                          from_group=True)
            return
        for (row, _), result in zip(group, results, strict=True):
            _recorded(row, SyncOutcome(status=row.status, changed=result.changed), tally,
                      released=row.sync_lease_until is None, from_group=True)


def _sync_row(row: Transaction, tally: _Tally, answers: _Answers | None = None) -> None:
    ask = asker_for(row) if answers is not None else None
    try:
        outcome = ask(row) if ask is not None else syncer_for(row)(row)
    except SoftTimeLimitExceeded:  # one thread, in this call: the batch stops here
        raise
    except CONNECTION_FAILURES as e:
        tally.add(row.pk, failed=True, connection_failure=True, error=e.message)
        return
    except ProviderError as e:  # about this transaction only (not found, unreadable answer)
        tally.add(row.pk, failed=True, error=e.message)
        return
    except Exception:  # a bug must not stop the batch; the lease runs out and it is due again
        logger.exception("sync of transaction %s failed", row.pk)
        tally.add(row.pk, failed=True, error="Paydesk could not apply the answer; see the logs.")
        return
    if isinstance(outcome, TransitionRequest):
        # Answered now, applied with its group later: it counts as an answer for the
        # connection's health at once (one failure after answers is not "down").
        tally.answered_upstream()
        answers.put(row, outcome, tally)
        return
    _recorded(row, outcome, tally)


def _recorded(row: Transaction, outcome: SyncOutcome, tally: _Tally, *, released: bool = False,
              from_group: bool = False) -> None:
    try:
        if outcome.status not in FINAL:
            attention_check(transaction=row)
    except Exception:
        logger.exception("attention check of transaction %s failed", row.pk)
    tally.add(row.pk, changed=outcome.changed, released=released, from_group=from_group)


def _release(rows: list[Transaction], tally: _Tally) -> None:
    """Rows not asked because the connection is down wait for its next attempt."""
    if rows:
        retry_at = timezone.now() + policy.connection_backoff(_failures_after(tally))
        Transaction.objects.filter(pk__in=[r.pk for r in rows]).update(next_sync_at=retry_at)


def _failures_after(tally: _Tally) -> int:
    run = SyncRun.objects.only("consecutive_failures").get(pk=tally.run_id)
    return run.consecutive_failures + 1


def _finish(run_id: int, tally: _Tally) -> SyncRun:
    """Close the run once every batch of it has reported; a connection that went down
    gets its backoff (the next scheduled run skips it until then)."""
    now = timezone.now()
    if tally.connection_down:
        failures = _failures_after(tally)
        SyncRun.objects.filter(pk=run_id).update(
            error=tally.error[:2000], consecutive_failures=failures,
            next_attempt_at=now + policy.connection_backoff(failures),
        )
    elif tally.asked:
        SyncRun.objects.filter(pk=run_id, next_attempt_at__isnull=True).update(consecutive_failures=0)
    SyncRun.objects.filter(pk=run_id, finished_at__isnull=True, done__gte=F("total")).update(finished_at=now)
    return SyncRun.objects.get(pk=run_id)


def runs_close_interrupted(*, now: datetime | None = None) -> int:
    """Close the transaction runs left open past their lease: their worker died (killed,
    or lost with its message), and their unanswered rows were due again long since. Run
    by each dispatch, so a run shows "running" for at most a lease."""
    now = now or timezone.now()
    stale = SyncRun.objects.filter(
        task=SyncRun.Task.TRANSACTIONS, finished_at__isnull=True, created_at__lt=now - policy.lease())
    # Read first: the UPDATE is rare, the dispatch runs every 15 s.
    return stale.update(finished_at=now, error=INTERRUPTED) if stale.exists() else 0


INTERRUPTED = "Interrupted: a worker stopped before this run finished; its rows were asked about again."


# -- giving up to a person -----------------------------------------------------------------
def attention_check(*, transaction: Transaction, now: datetime | None = None) -> bool:
    """Past its bound and still open: flag it for a person, stop asking on a schedule
    (it stays syncable by hand), and say so on its timeline. Never marks it failed."""
    now = now or timezone.now()
    current = Transaction.objects.get(pk=transaction.pk)
    bound = policy.attention_after(current.status)
    if current.status in FINAL or bound is None or now - current.created_at < bound:
        return False
    if current.needs_attention_since is None:
        reason = _reason(current, bound)
        Transaction.objects.filter(pk=current.pk).update(
            needs_attention_since=now, attention_reason=reason[:300], next_sync_at=None
        )
        transaction_note(transaction=current, source="system", actor="Paydesk",
                         note=f"Needs attention: {reason} Paydesk stopped asking on its own; sync it by hand.")
    else:
        Transaction.objects.filter(pk=current.pk).update(next_sync_at=None)
    return True


def _reason(tx: Transaction, bound) -> str:
    hours = int(bound.total_seconds() // 3600)
    provider = tx.get_provider_display()
    if tx.status == "unknown" and not tx.external_id:
        return f"{provider} has shown no record of it after {hours} h; it may or may not have been paid."
    if tx.status == "unknown":
        return f"The outcome is still unknown after {hours} h."
    return f"{provider} still says {tx.raw_status or 'pending'} after {hours} h."
