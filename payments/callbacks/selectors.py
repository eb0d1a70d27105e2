"""Reads for the callbacks page: a merchant's connections, each with its latest
callbacks and the transaction each one names (when Paydesk has it on that connection)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Merchant
from payments.models import Transaction
from providers.models import ProviderConnection, WebhookEvent
from providers.selectors import connections_for

RECENT_PER_CONNECTION = 25


@dataclass(frozen=True)
class ConnectionCallbacks:
    connection: ProviderConnection
    events: list[WebhookEvent]


def callbacks_recent(*, merchant: Merchant, limit: int = RECENT_PER_CONNECTION) -> list[ConnectionCallbacks]:
    """Two indexed reads per connection: its latest events, then their transactions.
    The raw and masked bodies are not read (the page shows the outcome, not the body)."""
    return [ConnectionCallbacks(c, _latest(merchant, c, limit)) for c in connections_for(merchant=merchant)]


def _latest(merchant: Merchant, connection: ProviderConnection, limit: int) -> list[WebhookEvent]:
    events = list(
        WebhookEvent.objects.filter(connection=connection).defer("body", "body_encrypted", "headers")
        .order_by("-received_at", "-id")[:limit]
    )
    named = {e.external_id for e in events if e.external_id}
    found = {
        t.external_id: t
        for t in Transaction.objects.filter(merchant=merchant, connection=connection, external_id__in=named)
        .only("pk", "reference", "external_id", "status", "kind")
    }
    for event in events:
        event.transaction = found.get(event.external_id)
    return events
