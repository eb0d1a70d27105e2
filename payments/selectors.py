"""Reads of the money. Every function takes the merchant: a record of another merchant
is never found (a 404 in pages and API alike)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Merchant
from payments.models import BalanceSnapshot, IbanAccount, Transaction
from providers.models import ProviderConnection


def enigmapay_connections(*, merchant: Merchant) -> QuerySet[ProviderConnection]:
    return ProviderConnection.objects.filter(merchant=merchant, provider="enigmapay").order_by("mode")


def ibans_for(*, merchant: Merchant) -> list[IbanAccount]:
    return list(IbanAccount.objects.filter(merchant=merchant).select_related("connection").order_by("-active", "iban"))


def iban_get(*, merchant: Merchant, pk: int) -> IbanAccount:
    return get_object_or_404(IbanAccount.objects.select_related("connection"), merchant=merchant, pk=pk)


def iban_snapshots(*, iban: IbanAccount, limit: int = 60) -> list[BalanceSnapshot]:
    return list(BalanceSnapshot.objects.filter(iban=iban).order_by("-at")[:limit])


def transaction_get(*, merchant: Merchant, pk: int) -> Transaction:
    return get_object_or_404(
        Transaction.objects.select_related("connection", "created_by", "customer"), merchant=merchant, pk=pk
    )
