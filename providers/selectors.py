from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Merchant
from providers.models import ProviderConnection, WebhookEvent


def connections_for(*, merchant: Merchant) -> list[ProviderConnection]:
    return list(ProviderConnection.objects.filter(merchant=merchant).order_by("provider", "mode"))


def connection_get(*, merchant: Merchant, pk: int) -> ProviderConnection:
    """A connection of ``merchant``; any other merchant's is a 404."""
    return get_object_or_404(ProviderConnection, merchant=merchant, pk=pk)


def connection_find(*, merchant: Merchant, provider: str, mode: str) -> ProviderConnection | None:
    return ProviderConnection.objects.filter(merchant=merchant, provider=provider, mode=mode).first()


def webhook_events_for(*, merchant: Merchant) -> QuerySet[WebhookEvent]:
    """The callbacks received on ``merchant``'s connections, newest first."""
    return WebhookEvent.objects.filter(connection__merchant=merchant).order_by("-received_at", "-id")


def webhook_event_get(*, merchant: Merchant, pk: int) -> WebhookEvent:
    """A callback of ``merchant``; any other merchant's is a 404."""
    return get_object_or_404(WebhookEvent, connection__merchant=merchant, pk=pk)
