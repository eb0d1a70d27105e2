"""The orders list's filters (page, CSV and API): the transaction filters on orders
only (any provider that takes orders: EnKash, Vospay), with search also matching an
EnKash order's customer email and phone."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from payments.filters import SEARCH_LIMIT, TransactionFilter
from payments.models import EnKashOrderDetail, Kind, Transaction
from providers.registry import PROVIDER_CHOICES

ORDER_PROVIDERS = ("enkash", "vospay")


class OrderFilter(TransactionFilter):
    provider = django_filters.ChoiceFilter(
        choices=[c for c in PROVIDER_CHOICES if c[0] in ORDER_PROVIDERS], empty_label="Any provider")

    class Meta(TransactionFilter.Meta):
        fields = ["q", "provider", "status", "created_from", "created_to", "amount_min", "amount_max"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.pop("kind", None)
        self.form.fields["q"].widget.attrs["placeholder"] = "Reference, order id, customer email or phone"

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        if not text:
            return queryset
        compact = "".join(text.split())
        base = super().filter_search(queryset, name, value)
        details = EnKashOrderDetail.objects.filter(transaction__merchant=self.merchant)
        arms = [details.filter(customer_phone=compact[-10:]), details.filter(customer_email__in={text, text.lower()})]
        ids = [arm.values_list("transaction_id", flat=True).order_by() for arm in arms]
        matched = list(ids[0].union(ids[1])[:SEARCH_LIMIT])
        return base | queryset.filter(pk__in=matched)


def order_filter(*, merchant, data) -> OrderFilter:
    queryset = Transaction.objects.filter(merchant=merchant, kind=Kind.ORDER).select_related("enkash_order")
    return OrderFilter(data if data is not None else {}, queryset=queryset, merchant=merchant)
