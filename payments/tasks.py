"""Celery tasks of the money side: thin, by id, safe to run twice.

Every task here only asks providers (status calls, balances), never moves money, so a
repeat is harmless: they run ``acks_late`` with ``reject_on_worker_lost`` (a message
whose worker died goes back to the broker and runs again) and with soft and hard time
limits. Two workers never ask about the same transaction at once: that is the claim's
lease (``payments.sync.transactions``), not the broker's job."""

from __future__ import annotations

from celery import shared_task
from django.utils.dateparse import parse_datetime

from payments.sync import policy
from payments.sync.balances import balance_connections_due, balances_sync
from payments.sync.transactions import transactions_dispatch
from payments.sync.transactions import transactions_sync_batch as run_batch
from providers.models import ProviderConnection

SAFE_TO_REPEAT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=50, time_limit=60)
def transactions_sync_due() -> int:
    """Scheduled (every 15 s, django-celery-beat): claim what is due, fan out batches."""
    return sum(run.total for run in transactions_dispatch())


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=policy.BATCH_SOFT_TIME_LIMIT, time_limit=policy.BATCH_TIME_LIMIT)
def transactions_sync_batch(run_id: int, pks: list[int], lease_until: str) -> int:
    """Ask about one connection's batch of claimed transactions."""
    return run_batch(run_id=run_id, pks=pks, lease_until=parse_datetime(lease_until)).done


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=20, time_limit=30)
def balances_sync_all() -> int:
    """Scheduled (every 60 s): one balance task per EnigmaPay connection not backing off."""
    ids = balance_connections_due()
    for pk in ids:
        balances_sync_connection.delay(pk)
    return len(ids)


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=40, time_limit=60)
def balances_sync_connection(connection_id: int, trigger: str = "schedule", user_id: int | None = None) -> str:
    connection = ProviderConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "gone"
    run = balances_sync(connection=connection, trigger=trigger, user=_user(user_id))
    return "failed" if run.error else "ok"


def _user(user_id: int | None):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


# -- EnKash settlements (payments/sync/enkash_settlements.py) ---------------------------------
@shared_task(**SAFE_TO_REPEAT, soft_time_limit=20, time_limit=30)
def enkash_settlements_search_all() -> int:
    """Scheduled (every 10 minutes): one settlement search per EnKash connection not backing off."""
    from payments.sync.enkash_settlements import settlement_connections_due

    ids = settlement_connections_due()
    for pk in ids:
        enkash_settlements_search_connection.delay(pk)
    return len(ids)


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=240, time_limit=300)
def enkash_settlements_search_connection(connection_id: int, trigger: str = "schedule",
                                         user_id: int | None = None) -> str:
    from payments.sync.enkash_settlements import settlements_sync

    connection = ProviderConnection.objects.filter(pk=connection_id, provider="enkash").first()
    if connection is None:
        return "gone"
    run = settlements_sync(connection=connection, trigger=trigger, user=_user(user_id))
    return "failed" if run.error else "ok"
