"""Reads of EnKash settlements, QR codes and QR customers, always by merchant."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from payments.models import Kind, QrCode, QrCustomer, SyncRun, Transaction

SETTLEMENT_EXPORT_COLUMNS = [
    ("payout_id", "external_id"),
    ("reference", "reference"),
    ("payout_date", "settlement__payout_date"),
    ("status", "status"),
    ("enkash_status", "raw_status"),
    ("utr", "settlement__utr"),
    ("payout_mode", "settlement__payout_mode"),
    ("total_sales", "settlement__total_sales"),
    ("total_refunds", "settlement__total_refunds"),
    ("total_charges", "settlement__total_charges"),
    ("total_gst", "settlement__total_gst"),
    ("carry_forward", "settlement__carry_forward_amount"),
    ("adjustment", "settlement__adjustment_amount"),
    ("settlement_amount", "settlement__settlement_amount"),
    ("currency", "currency"),
    ("transaction_count", "settlement__transaction_count"),
    ("recorded_at", "created_at"),
]
# One payout's settled items, for reconciling against the bank statement and the orders.
ITEM_EXPORT_COLUMNS = [
    ("payout_id", "settlement__transaction__external_id"),
    ("utr", "settlement__utr"),
    ("payout_date", "settlement__payout_date"),
    ("type", "type"),
    ("enkash_transaction_id", "external_id"),
    ("order_id", "order_id"),
    ("amount", "amount"),
    ("charges", "charges"),
    ("gst", "gst"),
    ("net_amount", "net_amount"),
    ("paydesk_reference", "matched__reference"),
]
QR_EXPORT_COLUMNS = [
    ("created_at", "created_at"),
    ("qr_code_id", "external_id"),
    ("name", "name"),
    ("status", "status"),
    ("multiple_use", "multiple_use"),
    ("fixed_amount", "fixed_amount"),
    ("amount", "amount"),
    ("expires_at", "expires_at"),
    ("customer", "customer_name"),
    ("customer_mobile", "customer__mobile"),
    ("payments_count", "payments_count"),
    ("amount_received", "amount_received"),
    ("upi_url", "upi_url"),
]


def export_rows(*, queryset: QuerySet, columns) -> Iterator[tuple]:
    paths = [path for _, path in columns]
    return queryset.order_by("-created_at", "-id").values_list(*paths).iterator(chunk_size=2000)


def settlement_get(*, merchant, pk: int) -> Transaction:
    """An EnKash settlement of ``merchant`` with its detail and timeline; else a 404."""
    queryset = Transaction.objects.select_related("settlement", "connection").prefetch_related("events")
    return get_object_or_404(queryset, merchant=merchant, pk=pk, kind=Kind.SETTLEMENT, provider="enkash")


def settlement_item_rows(*, settlement: Transaction) -> Iterator[tuple]:
    paths = [path for _, path in ITEM_EXPORT_COLUMNS]
    return settlement.settlement.items.order_by("id").values_list(*paths).iterator(chunk_size=2000)


def settlement_items(*, settlement: Transaction) -> list:
    return list(settlement.settlement.items.select_related("matched").order_by("id"))


def qr_code_get(*, merchant, pk: int) -> QrCode:
    return get_object_or_404(QrCode.objects.select_related("customer", "connection", "created_by"),
                             merchant=merchant, pk=pk)


def qr_customers_find(*, merchant, q: str = "", connection=None) -> QuerySet[QrCustomer]:
    found = QrCustomer.objects.filter(merchant=merchant).select_related("connection")
    if connection is not None:
        found = found.filter(connection=connection)
    text = (q or "").strip()
    if text:
        compact = "".join(text.split()).removeprefix("+91")
        found = found.filter(Q(name__icontains=text) | Q(mobile=compact) | Q(email__iexact=text)
                             | Q(external_id=compact))
    return found.order_by("-created_at", "-id")


def qr_customer_get(*, merchant, pk: int) -> QrCustomer:
    return get_object_or_404(QrCustomer, merchant=merchant, pk=pk)


def last_settlement_searches(*, merchant) -> list[SyncRun]:
    """The latest settlement search of each of the merchant's EnKash connections."""
    runs = []
    for connection in merchant.connections.filter(provider="enkash").order_by("-mode", "pk"):
        run = SyncRun.objects.filter(task=SyncRun.Task.SETTLEMENTS, connection=connection).first()
        if run is not None:
            runs.append(run)
    return runs
