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
