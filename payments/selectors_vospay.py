"""Reads of the Vospay desk, each scoped to the merchant: its Vospay connections, one
installment order, and the contracts list (finalized orders) with its one FilterSet
for the page, the CSV and the API.

A contract is an order the customer finalized (``finalized_at``) or whose contract
status Vospay reported; it has no row of its own. Search matches whole values (a
reference, a Vospay transaction ID, a contract number, the customer's phone), like the
transactions list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Merchant
from payments.filters import SEARCH_LIMIT, TransactionFilterForm, _start_of
from payments.models import Kind, Status, Transaction
from payments.models.vospay import CONTRACT_STATUSES
from providers.models import ProviderConnection


def vospay_connections(*, merchant: Merchant) -> QuerySet[ProviderConnection]:
    # Test before live, as for EnigmaPay: a default never lands on real money.
    return ProviderConnection.objects.filter(merchant=merchant, provider="vospay").order_by("-mode", "pk")


def vospay_orders(*, merchant: Merchant) -> QuerySet[Transaction]:
    return Transaction.objects.filter(merchant=merchant, provider="vospay", kind=Kind.ORDER).select_related(
        "vospay_order", "connection", "created_by")


def vospay_order_get(*, merchant: Merchant, pk: int) -> Transaction:
    """A Vospay order of ``merchant``; another merchant's, or a transaction that is not
    a Vospay order, is a 404."""
    queryset = vospay_orders(merchant=merchant).filter(vospay_order__isnull=False).prefetch_related(
        "events", "vospay_order__items")
    return get_object_or_404(queryset, merchant=merchant, pk=pk)


def contracts_of(*, merchant: Merchant) -> QuerySet[Transaction]:
    has_contract = Q(vospay_order__finalized_at__isnull=False) | Q(raw_status__in=CONTRACT_STATUSES)
    return vospay_orders(merchant=merchant).filter(vospay_order__isnull=False).filter(has_contract)


class ContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search", widget=forms.TextInput(
        attrs={"placeholder": "Reference, Vospay transaction ID, contract number or phone", "type": "search"}))
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="Any status")
    contract_status = django_filters.ChoiceFilter(
        field_name="raw_status", choices=[(s, s) for s in CONTRACT_STATUSES], empty_label="Any contract status",
        label="Contract status")
    created_from = django_filters.DateFilter(method="filter_created_from", label="From",
                                             widget=forms.DateInput(attrs={"type": "date"}))
    created_to = django_filters.DateFilter(method="filter_created_to", label="To",
                                           widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Transaction
        form = TransactionFilterForm
        fields = ["q", "status", "contract_status", "created_from", "created_to"]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.form.errors:  # a bad filter shows (and exports) nothing, never more
            return queryset.none()
        return super().filter_queryset(queryset)

    def filter_created_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_created_to(self, queryset, name, value):
        import datetime as dt

        return queryset.filter(created_at__lt=_start_of(value + dt.timedelta(days=1)))

    def filter_search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        compact = "".join(text.split())
        # One UNION of index lookups, then the page by primary key (as the transactions
        # list, payments/filters.py: an OR across the join walks every row of the merchant).
        arms = [queryset.filter(reference=compact.upper()), queryset.filter(external_id=text),
                queryset.filter(vospay_order__contract_number=compact),
                queryset.filter(vospay_order__customer_phone=compact)]
        ids = [arm.values_list("id", flat=True).order_by() for arm in arms]
        return queryset.filter(pk__in=list(ids[0].union(*ids[1:])[:SEARCH_LIMIT]))


def contract_filter(*, merchant: Merchant, data: Mapping | None) -> ContractFilter:
    return ContractFilter(data if data is not None else {}, queryset=contracts_of(merchant=merchant))


CONTRACT_EXPORT_COLUMNS = [
    ("created_at", "created_at"),
    ("reference", "reference"),
    ("status", "status"),
    ("contract_status", "raw_status"),
    ("gross_amount", "amount"),
    ("currency", "currency"),
    ("vospay_transaction_id", "external_id"),
    ("contract_number", "vospay_order__contract_number"),
    ("installment_id", "vospay_order__installment_id"),
    ("period_months", "vospay_order__period"),
    ("monthly_payment", "vospay_order__monthly_payment"),
    ("interest_rate", "vospay_order__interest_rate"),
    ("finalized_at", "vospay_order__finalized_at"),
    ("verified_at", "vospay_order__verified_at"),
    ("customer_name", "vospay_order__customer_name"),
    ("customer_phone", "vospay_order__customer_phone"),
    ("description", "description"),
]


def contract_export_rows(*, queryset: QuerySet) -> Iterator[tuple]:
    paths = [path for _, path in CONTRACT_EXPORT_COLUMNS]
    return queryset.order_by("-created_at", "-id").values_list(*paths).iterator(chunk_size=2000)
