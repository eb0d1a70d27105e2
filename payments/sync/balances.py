"""IBAN balances per EnigmaPay connection, on a schedule.

EnigmaPay recomputes balances once a minute, so a connection is read at most once a
minute however often the task runs (``services.balances.ibans_refresh`` claims the
minute with one conditional UPDATE); each read stores a snapshot per IBAN. Each
connection is its own run: one that fails backs off on its ``SyncRun`` and does not hold
up the others."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from payments.models import SyncRun
from payments.services.balances import ibans_refresh
from payments.sync import policy
from providers.base.errors import ProviderError
from providers.enigmapay.client import BALANCE_REFRESH_SECONDS
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
    run, fresh_read = _start(connection, trigger=trigger, user=user)
    try:
        accounts = ibans_refresh(connection=connection) if fresh_read else list(connection.ibans.all())
    except ProviderError as e:
        failures = (previous.consecutive_failures if previous else 0) + 1
        run.error, run.consecutive_failures = e.message[:2000], failures
        run.next_attempt_at = timezone.now() + policy.connection_backoff(failures)
    else:
        run.total = run.done = len(accounts)
        # IBANs read from EnigmaPay in this run (0: answered from the minute's read).
        run.changed = sum(1 for a in accounts if a.balance_at and a.balance_at >= run.started_at)
    run.finished_at = timezone.now()
    run.save()
    return run


def _start(connection: ProviderConnection, *, trigger: str, user) -> tuple[SyncRun, bool]:
    """Record the run and say whether it may call EnigmaPay. Under the connection's row
    lock, so that two workers starting at once agree on which one reads: the first
    time a connection is read there is no IBAN row yet for ``ibans_refresh`` to claim
    its minute on."""
    with transaction.atomic():
        ProviderConnection.objects.select_for_update().filter(pk=connection.pk).first()
        now = timezone.now()
        recent = SyncRun.objects.filter(
            task=SyncRun.Task.BALANCES, connection=connection, error="", fresh_read=True,
            started_at__gt=now - timedelta(seconds=BALANCE_REFRESH_SECONDS),
        ).exists()
        run = SyncRun.objects.create(
            task=SyncRun.Task.BALANCES, merchant_id=connection.merchant_id, connection=connection, trigger=trigger,
            requested_by=user if getattr(user, "pk", None) else None, started_at=now, fresh_read=not recent,
        )
    return run, not recent
