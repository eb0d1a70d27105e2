"""Reads for the EoneoPay desk and for the generic payments resource (every provider's
``kind=payment`` transactions). Every function takes the merchant.

Lists page with ``payments.selectors.transaction_page`` (keyset on ``created_at, id``),
which works on customers as on transactions."""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Merchant
from payments.filters import SEARCH_LIMIT, TransactionFilter, TransactionFilterForm
from payments.models import (
    EoneoPayApiKey,
    EoneoPayCard,
    EoneoPayCustomer,
    EoneoPayPaymentDetail,
    Kind,
    Transaction,
)
from payments.selectors import EXPORT_COLUMNS
from providers.models import ProviderConnection

# The payments CSV: the transactions' columns, then the card and customer of a card payment.
PAYMENT_EXPORT_COLUMNS = [
    *EXPORT_COLUMNS,
    ("card", "eoneopay__masked_pan"),
    ("card_type", "eoneopay__card_description"),
    ("card_customer", "eoneopay__customer__name"),
    ("card_customer_email", "eoneopay__customer__email"),
    ("provider_reference", "eoneopay__reference"),
]
CUSTOMER_EXPORT_COLUMNS = [
    ("created_at", "created_at"), ("external_id", "external_id"), ("name", "name"), ("email", "email"),
    ("address", "address"), ("deleted_at", "deleted_at"),
]


def eoneopay_connections(*, merchant: Merchant) -> QuerySet[ProviderConnection]:
    # Test before live: whatever picks "the first" by default never lands on real money.
    return ProviderConnection.objects.filter(merchant=merchant, provider="eoneopay").order_by("-mode")


# -- customers ------------------------------------------------------------------------------
class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search", widget=forms.TextInput(
        attrs={"placeholder": "Name, email or EoneoPay id (cus_...)", "type": "search"}))
    state = django_filters.ChoiceFilter(
        method="filter_state", label="Show", empty_label="Current customers",
        choices=[("deleted", "Deleted customers"), ("all", "All customers")],
    )

    class Meta:
        model = EoneoPayCustomer
        fields = ["q", "state"]

    def filter_queryset(self, queryset):
        if self.form.errors:
            return queryset.none()
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.filter(deleted_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(external_id=text) | Q(email__iexact=text) | Q(name__icontains=text))

    def filter_state(self, queryset, name, value):
        return queryset.filter(deleted_at__isnull=False) if value == "deleted" else queryset


def customer_filter(*, merchant: Merchant, data: Mapping | None) -> CustomerFilter:
    queryset = EoneoPayCustomer.objects.filter(merchant=merchant).select_related("connection")
    return CustomerFilter(data if data is not None else {}, queryset=queryset)


def customer_get(*, merchant: Merchant, pk: int) -> EoneoPayCustomer:
    return get_object_or_404(EoneoPayCustomer.objects.select_related("connection"), merchant=merchant, pk=pk)


def customer_cards(*, customer: EoneoPayCustomer) -> list[EoneoPayCard]:
    return list(customer.cards.filter(removed_at__isnull=True))


def customer_payments(*, customer: EoneoPayCustomer, limit: int = 20) -> list[Transaction]:
    return list(Transaction.objects.filter(merchant_id=customer.merchant_id, eoneopay__customer=customer)
                .select_related("eoneopay").order_by("-created_at", "-id")[:limit])


def card_get(*, merchant: Merchant, pk) -> EoneoPayCard | None:
    """A current card of one of the merchant's customers, or None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (EoneoPayCard.objects.select_related("customer__connection")
            .filter(customer__merchant=merchant, pk=pk, removed_at__isnull=True).first())


def cards_for(*, merchant: Merchant) -> QuerySet[EoneoPayCard]:
    return (EoneoPayCard.objects.filter(customer__merchant=merchant, removed_at__isnull=True,
                                        customer__deleted_at__isnull=True)
            .select_related("customer").order_by("customer__name", "id"))


def api_keys_for(*, connection: ProviderConnection) -> list[EoneoPayApiKey]:
    return list(EoneoPayApiKey.objects.filter(connection=connection))


def api_key_get(*, merchant: Merchant, pk: int) -> EoneoPayApiKey:
    return get_object_or_404(EoneoPayApiKey.objects.select_related("connection"), merchant=merchant, pk=pk)


# -- payments (every provider) -----------------------------------------------------------------
class PaymentFilterForm(TransactionFilterForm):
    pass


class PaymentFilter(TransactionFilter):
    """The transactions' filters without ``kind`` (always payment); search also finds an
    EoneoPay payment by the reference the merchant gave it or the card customer's email."""

    class Meta(TransactionFilter.Meta):
        form = PaymentFilterForm
        fields = ["q", "provider", "status", "created_from", "created_to", "amount_min", "amount_max"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.pop("kind", None)
        self.form.fields["q"].widget.attrs["placeholder"] = "Reference, external id, order reference or email"

    def filter_search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        matched = list(super().filter_search(queryset, name, value).values_list("pk", flat=True)[:SEARCH_LIMIT])
        details = EoneoPayPaymentDetail.objects.filter(transaction__merchant=self.merchant).filter(
            Q(reference__startswith=f"{text} [") | Q(reference=text) | Q(customer__email__iexact=text)
        ).values_list("transaction_id", flat=True)[:SEARCH_LIMIT]
        return queryset.filter(pk__in=set(matched) | set(details))


def payment_filter(*, merchant: Merchant, data: Mapping | None) -> PaymentFilter:
    queryset = (Transaction.objects.filter(merchant=merchant, kind=Kind.PAYMENT)
                .select_related("customer", "eoneopay__customer"))
    return PaymentFilter(data if data is not None else {}, queryset=queryset, merchant=merchant)


def payment_get(*, merchant: Merchant, pk: int) -> Transaction:
    queryset = Transaction.objects.select_related(
        "customer", "created_by", "connection", "parent", "eoneopay__customer", "eoneopay__card"
    ).prefetch_related("events")
    return get_object_or_404(queryset, merchant=merchant, pk=pk, kind=Kind.PAYMENT)


def refunds_of(*, payment: Transaction) -> list[Transaction]:
    return list(payment.children.filter(kind=Kind.REFUND).order_by("-created_at", "-id"))


def payment_export_rows(*, queryset: QuerySet):
    paths = [path for _, path in PAYMENT_EXPORT_COLUMNS]
    return queryset.order_by("-created_at", "-id").values_list(*paths).iterator(chunk_size=2000)


def customer_export_rows(*, queryset: QuerySet):
    paths = [path for _, path in CUSTOMER_EXPORT_COLUMNS]
    return queryset.order_by("-created_at", "-id").values_list(*paths).iterator(chunk_size=2000)
