"""Reads of the EnKash desk, always within one merchant (another merchant's is a 404)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Merchant
from payments.models import Kind, Transaction
from payments.services.enkash import refund_totals
from payments.services.refunds import can_refund
from providers.models import ProviderConnection


def enkash_connections(*, merchant: Merchant) -> QuerySet[ProviderConnection]:
    # Test before live: whatever picks "the first" by default never lands on real money.
    return ProviderConnection.objects.filter(merchant=merchant, provider="enkash").order_by("-mode")


def enkash_order_get(*, merchant: Merchant, pk: int) -> Transaction:
    queryset = Transaction.objects.select_related("enkash_order", "connection", "created_by").prefetch_related("events")
    return get_object_or_404(queryset, merchant=merchant, pk=pk, kind=Kind.ORDER, provider="enkash")


def enkash_payment_get(*, merchant: Merchant, pk: int) -> Transaction:
    queryset = Transaction.objects.select_related("parent", "connection")
    return get_object_or_404(queryset, merchant=merchant, pk=pk, kind=Kind.PAYMENT, provider="enkash")


@dataclass
class PaymentRow:
    payment: Transaction
    refunds: list[Transaction]
    refunded: Decimal
    in_progress: Decimal
    remaining: Decimal
    refundable: bool
    form: object = field(default=None)


def enkash_order_payments(*, order: Transaction) -> list[PaymentRow]:
    """The order's payments, newest first, each with its refunds and what is left."""
    refunds = Transaction.objects.filter(kind=Kind.REFUND).select_related("enkash_refund").order_by("created_at", "id")
    payments = (order.children.filter(kind=Kind.PAYMENT).select_related("enkash_payment")
                .prefetch_related(Prefetch("children", queryset=refunds, to_attr="refund_rows"))
                .order_by("-created_at", "-id"))
    rows = []
    for payment in payments:
        totals = refund_totals(payment)
        rows.append(PaymentRow(payment=payment, refunds=payment.refund_rows, refundable=can_refund(payment), **totals))
    return rows
