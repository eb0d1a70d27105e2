"""What the dashboard shows of the sync: transactions that need a person, each
connection's sync health, and the progress of a "sync now". Always by merchant."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Merchant
from payments.models import SyncRun, Transaction
from payments.sync import policy
from payments.transitions import FINAL

ATTENTION_SHOWN = 10


def attention_list(*, merchant: Merchant, limit: int = ATTENTION_SHOWN) -> tuple[list[Transaction], int]:
    """The flagged, still open transactions, oldest flag first, and how many there are."""
    flagged = Transaction.objects.filter(merchant=merchant, needs_attention_since__isnull=False).exclude(
        status__in=FINAL
    )
    return list(flagged.order_by("needs_attention_since", "id")[:limit]), flagged.count()


@dataclass(frozen=True)
class Health:
    connection: object
    transactions: SyncRun | None
    balances: SyncRun | None

    @property
    def failing(self) -> bool:
        return any(run is not None and run.error for run in (self.transactions, self.balances))


def sync_health(*, merchant: Merchant) -> list[Health]:
    """Per connection, its latest run of each sync task (two queries per connection;
    a merchant has a handful of connections)."""
    rows = []
    for connection in merchant.connections.order_by("provider", "mode"):
        latest = SyncRun.objects.filter(connection=connection)
        rows.append(Health(
            connection=connection,
            transactions=latest.filter(task=SyncRun.Task.TRANSACTIONS).first(),
            balances=latest.filter(task=SyncRun.Task.BALANCES).first(),
        ))
    return rows


def sync_runs_get(*, merchant: Merchant, ids: list[int]) -> list[SyncRun]:
    return list(SyncRun.objects.filter(merchant=merchant, pk__in=ids).select_related("connection").order_by("id"))


def run_is_stale(run: SyncRun) -> bool:
    """Unfinished long past its lease: its worker died; the rows are due again."""
    return run.finished_at is None and timezone.now() - run.created_at > policy.lease()


def open_statuses(*, merchant: Merchant, ids: list[int]) -> list[Transaction]:
    """The transactions of ``ids`` (the merchant's only), for the list's live status."""
    return list(Transaction.objects.filter(merchant=merchant, pk__in=ids[:100]).only("id", "status", "raw_status"))
