from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.models import Merchant
from providers.models import ProviderConnection


def connections_for(*, merchant: Merchant) -> list[ProviderConnection]:
    return list(ProviderConnection.objects.filter(merchant=merchant).order_by("provider", "mode"))


def connection_get(*, merchant: Merchant, pk: int) -> ProviderConnection:
    """A connection of ``merchant``; any other merchant's is a 404."""
    return get_object_or_404(ProviderConnection, merchant=merchant, pk=pk)


def connection_find(*, merchant: Merchant, provider: str, mode: str) -> ProviderConnection | None:
    return ProviderConnection.objects.filter(merchant=merchant, provider=provider, mode=mode).first()
