"""IBAN balances per EnigmaPay connection, on a schedule.

EnigmaPay recomputes balances once a minute, so a connection is read at most once a
minute however often the task runs (``services.balances.ibans_refresh`` claims the
minute with one conditional UPDATE); each read stores a snapshot per IBAN. Each
connection is its own run: one that fails backs off on its ``SyncRun`` and does not hold
up the others."""

from __future__ import annotations

from django.utils import timezone

from payments.models import SyncRun
from payments.services.balances import ibans_refresh
from payments.sync import policy
from providers.base.errors import ProviderError
from providers.models import ProviderConnection


def balance_connections_due(*, now=None) -> list[int]:
    """EnigmaPay connections whose last balance run is not backing off."""
    now = now or timezone.now()
    ids = ProviderConnection.objects.filter(provider="enigmapay").values_list("pk", flat=True)
    return [pk for pk in ids if not _backing_off(pk, now)]


def _backing_off(connection_id: int, now) -> bool:
    last = _latest_balance_run(connection_id)
    return bool(last and last.next_attempt_at and last.next_attempt_at > now)


def _latest_balance_run(connection_id: int) -> SyncRun | None:
    return SyncRun.objects.filter(task=SyncRun.Task.BALANCES, connection_id=connection_id).first()


def balances_sync(*, connection: ProviderConnection, trigger: str = SyncRun.Trigger.SCHEDULE, user=None) -> SyncRun:
    """Read the connection's IBAN balances (unless read within the minute) as one run."""
    previous = _latest_balance_run(connection.pk)
    now = timezone.now()
    run = SyncRun.objects.create(
        task=SyncRun.Task.BALANCES, merchant_id=connection.merchant_id, connection=connection, trigger=trigger,
        requested_by=user if getattr(user, "pk", None) else None, started_at=now,
    )
    try:
        accounts = ibans_refresh(connection=connection)
    except ProviderError as e:
        failures = (previous.consecutive_failures if previous else 0) + 1
        run.error, run.consecutive_failures = e.message[:2000], failures
        run.next_attempt_at = timezone.now() + policy.connection_backoff(failures)
    else:
        fresh = sum(1 for a in accounts if a.balance_at and a.balance_at >= now)
        run.total = run.done = len(accounts)
        run.changed = fresh  # IBANs read from EnigmaPay in this run (0: within the minute)
    run.finished_at = timezone.now()
    run.save()
    return run
