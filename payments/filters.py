"""The one ``FilterSet`` for transactions: the list page, its CSV export and the API
read the same filters, so a link copied from the page exports exactly what it shows.

Policy that is not obvious:
- Dates are whole days in the site's time zone and become ``created_at`` ranges
  (from the start of the first day to the start of the day after the last), never
  ``created_at__date``, which would hide the ``(merchant, created_at)`` index.
- Search matches whole values (a reference, an external id, an IBAN, an email, a phone),
  not fragments: a payment desk is searched with the id someone read out, and an exact
  match stays an index lookup at a million rows. Spacing is forgiven, and so is case
  for references and (typed in lower case) emails.
- Input that does not parse (a bad date, letters in an amount) filters *everything*
  out and the form carries the error: django-filter's default would drop the bad filter
  and quietly show, or export, more than was asked for.
- The queryset handed in is already the merchant's; nothing here widens it.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from payments.models import Kind, PaymentLinkDetail, PayoutDetail, Status, Transaction
from providers.registry import PROVIDER_CHOICES

# More matches than this for one search term (a phone with years of payments) show the
# first ones; the filters narrow further.
SEARCH_LIMIT = 5000


# Days a transaction can have: outside them a date is a typo (and 9999-12-31 + 1 day
# would overflow).
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(9998, 12, 31)


class TransactionFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        for name in ("created_from", "created_to"):
            day = data.get(name)
            if day and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, f"Enter a date between {FIRST_DAY} and {LAST_DAY}.")
                data.pop(name, None)
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", "The end date is before the start date.")
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", "The highest amount is below the lowest.")
        return data


class TransactionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search", label="Search", widget=forms.TextInput(
            attrs={"placeholder": "Reference, external id, IBAN, email or phone", "type": "search"}
        ),
    )
    provider = django_filters.ChoiceFilter(choices=PROVIDER_CHOICES, empty_label="Any provider")
    kind = django_filters.ChoiceFilter(choices=Kind.choices, empty_label="Any kind")
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="Any status")
    created_from = django_filters.DateFilter(
        method="filter_created_from", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = django_filters.DateFilter(
        method="filter_created_to", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    amount_min = django_filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label="Amount from", min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    amount_max = django_filters.NumberFilter(
        field_name="amount", lookup_expr="lte", label="Amount to", min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )

    class Meta:
        model = Transaction
        form = TransactionFilterForm
        fields = ["q", "provider", "kind", "status", "created_from", "created_to", "amount_min", "amount_max"]

    def __init__(self, data=None, *args, merchant, **kwargs):
        self.merchant = merchant  # every query here is this merchant's, the search arms too
        super().__init__(data, *args, **kwargs)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.form.errors:
            return queryset.none()
        return super().filter_queryset(queryset)

    def filter_created_from(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_created_to(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(created_at__lt=_start_of(value + dt.timedelta(days=1)))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        if not text:
            return queryset
        compact = "".join(text.split())  # IBANs and phones are read out in groups
        # The ids first, from one UNION whose arms are each an index lookup, then the
        # page by primary key. An OR across the joined tables, or the UNION as a
        # subquery, lets PostgreSQL misjudge the match count and walk every row of the
        # merchant: 5 s and 0.6 s at a million rows (bench/README.md); this is one
        # extra query of a few milliseconds.
        emails = sorted({text, text.lower()})  # stored as typed, almost always lower case
        arms = [
            queryset.filter(reference=compact.upper()),
            queryset.filter(external_id=text),
            queryset.filter(customer__phone=compact),
            queryset.filter(customer__email__in=emails),
        ]
        # The detail arms are scoped to the same merchant, so another merchant's rows can
        # neither crowd out this one's matches under SEARCH_LIMIT nor cost its time.
        ids = [arm.values_list("id", flat=True).order_by() for arm in arms] + [
            details.filter(transaction__merchant=self.merchant).values_list("transaction_id", flat=True)
            for details in (
                PayoutDetail.objects.filter(customer_iban=compact.upper()),
                PaymentLinkDetail.objects.filter(phone=compact),
                PaymentLinkDetail.objects.filter(email__in=emails),
            )
        ]
        matched = list(ids[0].union(*(q.order_by() for q in ids[1:]))[:SEARCH_LIMIT])
        return queryset.filter(pk__in=matched)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
