"""The FilterSets of EnKash settlements and QR codes: the list pages, their CSV exports
and the API read the same ones, as for transactions (``payments/filters.py``).

- Settlement dates are EnKash's payout dates (whole days, as EnKash gives them).
- Search matches whole values, like the transaction search: a payout id, a UTR, a
  Paydesk reference, or the id of a transaction or order settled in the payout (to find
  "when was this payment paid out?"). QR codes are searched by name (a fragment, the
  list of a merchant's codes is short), EnKash id, or customer name / mobile.
- Input that does not parse filters everything out and the form carries the error.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from payments.filters import FIRST_DAY, LAST_DAY, SEARCH_LIMIT
from payments.models import QrCode, SettledItem, Status, Transaction

SETTLEMENT_STATUSES = [(s, s.label) for s in (Status.PENDING, Status.SUCCEEDED, Status.FAILED)]
QR_STATES = [("active", "Active"), ("expired", "Expired"), ("used", "Used (single use)"), ("cancelled", "Cancelled")]


class _StrictFilterSet(django_filters.FilterSet):
    def __init__(self, data=None, *args, merchant, **kwargs):
        self.merchant = merchant
        super().__init__(data, *args, **kwargs)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.form.errors:
            return queryset.none()
        return super().filter_queryset(queryset)


class SettlementFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        for name in ("payout_from", "payout_to"):
            day = data.get(name)
            if day and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, f"Enter a date between {FIRST_DAY} and {LAST_DAY}.")
                data.pop(name, None)
        start, end = data.get("payout_from"), data.get("payout_to")
        if start and end and start > end:
            self.add_error("payout_to", "The end date is before the start date.")
        return data


class SettlementFilter(_StrictFilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search", widget=forms.TextInput(attrs={
        "placeholder": "Payout id, UTR, reference, or a settled transaction / order id", "type": "search"}))
    status = django_filters.ChoiceFilter(choices=SETTLEMENT_STATUSES, empty_label="Any status")
    utr = django_filters.CharFilter(method="filter_utr", label="UTR", widget=forms.TextInput(
        attrs={"spellcheck": "false", "autocomplete": "off"}))
    payout_from = django_filters.DateFilter(field_name="settlement__payout_date", lookup_expr="gte",
                                            label="Paid out from", widget=forms.DateInput(attrs={"type": "date"}))
    payout_to = django_filters.DateFilter(field_name="settlement__payout_date", lookup_expr="lte",
                                          label="Paid out to", widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Transaction
        form = SettlementFilterForm
        fields = ["q", "status", "utr", "payout_from", "payout_to"]

    def filter_utr(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = "".join(value.split()).upper()
        return queryset.filter(settlement__utr=text) if text else queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        if not text:
            return queryset
        compact = "".join(text.split())
        items = SettledItem.objects.filter(settlement__transaction__merchant=self.merchant).filter(
            Q(external_id=compact) | Q(order_id=compact)).values_list("settlement__transaction_id", flat=True)
        matched = set(items[:SEARCH_LIMIT])
        own = queryset.filter(Q(external_id=compact) | Q(reference=compact.upper())
                              | Q(settlement__utr=compact.upper()))
        matched |= set(own.values_list("id", flat=True)[:SEARCH_LIMIT])
        return queryset.filter(pk__in=matched)


class QrCodeFilter(_StrictFilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search", widget=forms.TextInput(attrs={
        "placeholder": "Name, EnKash id, customer name or mobile", "type": "search"}))
    state = django_filters.ChoiceFilter(choices=QR_STATES, method="filter_state", label="State",
                                        empty_label="Any state")
    usage = django_filters.ChoiceFilter(choices=[("single", "Single use"), ("multiple", "Multiple use")], label="Usage",
                                        method="filter_usage", empty_label="Any usage")

    class Meta:
        model = QrCode
        fields = ["q", "state", "usage"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        if not text:
            return queryset
        compact = "".join(text.split()).removeprefix("+91")
        return queryset.filter(
            Q(name__icontains=text) | Q(external_id=compact) | Q(customer_name__icontains=text)
            | Q(customer__mobile=compact)
        )

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        now = timezone.now()
        active = queryset.filter(status=QrCode.Status.ACTIVE)
        not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        used = Q(multiple_use=False, payments_count__gt=0)
        if value == "cancelled":
            return queryset.filter(status=QrCode.Status.CANCELLED)
        if value == "expired":
            return active.filter(expires_at__lte=now)
        if value == "used":
            return active.filter(not_expired).filter(used)
        return active.filter(not_expired).exclude(used)

    def filter_usage(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(multiple_use=value == "multiple")


def settlement_filter(*, merchant, data) -> SettlementFilter:
    queryset = Transaction.objects.filter(merchant=merchant, provider="enkash", kind="settlement").select_related(
        "settlement", "connection")
    return SettlementFilter(data if data is not None else {}, queryset=queryset, merchant=merchant)


def qr_code_filter(*, merchant, data) -> QrCodeFilter:
    queryset = QrCode.objects.filter(merchant=merchant).select_related("customer", "connection").defer("png")
    return QrCodeFilter(data if data is not None else {}, queryset=queryset, merchant=merchant)
