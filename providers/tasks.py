"""Celery tasks on connections: thin, by id, idempotent."""

from celery import shared_task

from providers.models import ProviderConnection
from providers.services import connection_test


@shared_task
def connection_check(connection_id: int) -> str:
    """Test one connection and record the outcome on it. Safe to run twice."""
    connection = ProviderConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "gone"
    return "healthy" if connection_test(connection=connection).ok else "failing"


@shared_task
def connections_check_all() -> int:
    """Fan out a check per connection (scheduled from admin with django-celery-beat)."""
    ids = list(ProviderConnection.objects.values_list("pk", flat=True))
    for pk in ids:
        connection_check.delay(pk)
    return len(ids)


# How far ahead of its expiry the periodic task renews a token: longer than the task's
# interval (5 minutes), so that no process ever has to fetch one in the middle of a call.
ENKASH_RENEW_AHEAD_SECONDS = 600


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=50, time_limit=60)
def enkash_tokens_renew() -> int:
    """Scheduled (every 5 minutes): renew each EnKash connection's shared session token
    when it would expire within ``ENKASH_RENEW_AHEAD_SECONDS``; fetch one where there is
    none. Safe to run twice: the second run finds the fresh token and asks nothing."""
    from providers.base.errors import ProviderError
    from providers.crypto import DecryptionError
    from providers.services import client_for

    renewed = 0
    for connection in ProviderConnection.objects.filter(provider="enkash"):
        try:
            client_for(connection).renew_token_if_expiring(within=ENKASH_RENEW_AHEAD_SECONDS)
            renewed += 1
        except (ProviderError, DecryptionError):
            continue  # this connection's health check says why; the others go on
    return renewed
