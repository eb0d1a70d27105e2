"""EnKash settlements on a schedule: a periodic settlement search per EnKash connection,
and the status syncer of one settlement payout.

- The search (``settlements_sync``) is one ``SyncRun`` (task settlements) per connection,
  like balances: a connection whose search fails backs off on its run and does not hold
  up the others. It covers from a few days before the latest payout date already known
  (EnKash settles T+1, and a payout's status moves for a day or two) up to today; a
  connection never searched is searched over the last ``FIRST_WINDOW_DAYS``.
- A payout that is not paid yet is also a transaction due for the status sync: the
  syncer below asks EnKash about that one payout (``settlement_payout``), a read.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max
from django.utils import timezone

from payments.models import Kind, SettlementDetail, Status, SyncRun, Transaction
from payments.services.common import Actor
from payments.services.enkash_settlements import PROVIDER, settlement_refresh, settlements_search
from payments.sync import policy
from payments.sync.registry import SyncOutcome, syncer
from providers.base.errors import ProviderError
from providers.models import ProviderConnection

FIRST_WINDOW_DAYS = 30
OVERLAP_DAYS = 3


def settlement_connections_due(*, now=None) -> list[int]:
    """EnKash connections whose last settlement search is not backing off."""
    now = now or timezone.now()
    ids = ProviderConnection.objects.filter(provider=PROVIDER).values_list("pk", flat=True)
    return [pk for pk in ids if not _backing_off(pk, now)]


def _latest_run(connection_id: int) -> SyncRun | None:
    return SyncRun.objects.filter(task=SyncRun.Task.SETTLEMENTS, connection_id=connection_id).first()


def _backing_off(connection_id: int, now) -> bool:
    last = _latest_run(connection_id)
    return bool(last and last.next_attempt_at and last.next_attempt_at > now)


def search_window(connection: ProviderConnection) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    latest = SettlementDetail.objects.filter(transaction__connection=connection).aggregate(d=Max("payout_date"))["d"]
    start = latest - dt.timedelta(days=OVERLAP_DAYS) if latest else today - dt.timedelta(days=FIRST_WINDOW_DAYS)
    return min(start, today), today + dt.timedelta(days=1)  # EnKash dates are IST: a day ahead of UTC at times


def settlements_sync(
    *, connection: ProviderConnection, trigger: str = SyncRun.Trigger.SCHEDULE, user=None,
    from_date: dt.date | None = None, to_date: dt.date | None = None, status: str | None = None,
    utr: str | None = None,
) -> SyncRun:
    """One settlement search of ``connection`` as a run. Without dates, the window above."""
    previous = _latest_run(connection.pk)
    if from_date is None and to_date is None and not utr:
        from_date, to_date = search_window(connection)
    run = SyncRun.objects.create(
        task=SyncRun.Task.SETTLEMENTS, merchant_id=connection.merchant_id, connection=connection, trigger=trigger,
        requested_by=user if getattr(user, "pk", None) else None, started_at=timezone.now(),
    )
    actor = Actor.for_user(user) if getattr(user, "pk", None) else Actor.sync()
    try:
        result = settlements_search(connection=connection, actor=actor, from_date=from_date, to_date=to_date,
                                    status=status, utr=utr)
    except ProviderError as e:
        failures = (previous.consecutive_failures if previous else 0) + 1
        run.error, run.consecutive_failures = e.message[:2000], failures
        run.next_attempt_at = timezone.now() + policy.connection_backoff(failures)
        run.provider_error = e  # for the API's answer (status by error class); not stored
    else:
        run.total = run.done = result.found
        run.changed = result.created + result.changed
    run.finished_at = timezone.now()
    run.save()
    return run


@syncer(PROVIDER, Kind.SETTLEMENT)
def enkash_settlement(transaction: Transaction) -> SyncOutcome:
    """Ask EnKash about one payout not yet paid out."""
    before = transaction.status
    tx = settlement_refresh(settlement=transaction, actor=Actor.sync())
    attempts = tx.sync_attempts + 1
    if tx.status == Status.PENDING:
        # EnKash pays out within the day: 2, 4, 8... minutes, capped at an hour.
        wait = dt.timedelta(seconds=min(3600, 120 * 2 ** min(attempts - 1, 5)))
        Transaction.objects.filter(pk=tx.pk).update(sync_attempts=attempts, next_sync_at=timezone.now() + wait)
        return SyncOutcome(tx.status, tx.status != before, note=f"EnKash says {tx.raw_status}; asking again later.")
    Transaction.objects.filter(pk=tx.pk).update(sync_attempts=attempts, next_sync_at=None)
    return SyncOutcome(tx.status, tx.status != before)
