"""The orders list, whatever the provider (EnKash, Vospay): filters, search, keyset
pages and a streaming CSV, through the same selectors as the transactions list. Each
row links to its provider's order page."""

from __future__ import annotations

import csv

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import member_required
from payments.order_filters import order_filter
from payments.selectors import BadCursor, TransactionPage, transaction_page
from payments.views.transactions import _Echo, _filter_query, csv_cell

EXPORT_COLUMNS = [
    ("created_at", "created_at"),
    ("reference", "reference"),
    ("provider", "provider"),
    ("order_id", "external_id"),
    ("status", "status"),
    ("raw_status", "raw_status"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("description", "description"),
    ("customer_first_name", "enkash_order__customer_first_name"),
    ("customer_last_name", "enkash_order__customer_last_name"),
    ("customer_email", "enkash_order__customer_email"),
    ("customer_phone", "enkash_order__customer_phone"),
]


@member_required()
def order_list(request):
    filterset = order_filter(merchant=request.merchant, data=request.GET)
    cursor_error = ""
    try:
        page = transaction_page(queryset=filterset.qs, after=request.GET.get("after", ""),
                                before=request.GET.get("before", ""))
    except BadCursor:
        cursor_error = "That page link is not valid any more. Start again from the newest orders."
        page = TransactionPage(rows=[], newer=None, older=None)
    return render(request, "payments/orders/list.html", {
        "filter": filterset, "page": page, "cursor_error": cursor_error, "filter_query": _filter_query(request),
    })


@member_required()
def order_export(request):
    filterset = order_filter(merchant=request.merchant, data=request.GET)
    if not filterset.is_valid():
        errors = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items())
        return HttpResponse(f"Fix the filters first. {errors}\n", status=400, content_type="text/plain")
    rows = filterset.qs.order_by("-created_at", "-id").values_list(
        *[path for _, path in EXPORT_COLUMNS]).iterator(chunk_size=2000)
    response = StreamingHttpResponse(_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="orders-{request.merchant.slug}-{stamp}.csv"'
    return response


def _lines(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow([header for header, _ in EXPORT_COLUMNS])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])
