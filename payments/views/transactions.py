"""Transaction list, detail and CSV export. Every member, viewer included, may read
them; what a role may *do* to a transaction is the actions partial's business.

The CSV streams: rows are read in chunks with ``values_list`` and written one by one,
so a million rows cost a few megabytes, not a response built in memory. A cell a
spreadsheet would run as a formula (``= + - @``, tab, carriage return at its start) gets
a leading quote: a customer's name or a description can come from anyone.
"""

from __future__ import annotations

import csv

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import member_required
from payments.selectors import (
    EXPORT_COLUMNS,
    BadCursor,
    TransactionPage,
    transaction_export_rows,
    transaction_filter,
    transaction_get,
    transaction_page,
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@member_required()
def transaction_list(request):
    filterset = transaction_filter(merchant=request.merchant, data=request.GET)
    cursor_error = ""
    try:
        page = transaction_page(
            queryset=filterset.qs, after=request.GET.get("after", ""), before=request.GET.get("before", "")
        )
    except BadCursor:
        cursor_error = "That page link is not valid any more. Start again from the newest transactions."
        page = TransactionPage(rows=[], newer=None, older=None)
    return render(
        request,
        "payments/transactions/list.html",
        {
            "filter": filterset,
            "page": page,
            "cursor_error": cursor_error,
            "filter_query": _filter_query(request),
        },
    )


@member_required()
def transaction_detail(request, pk: int):
    transaction = transaction_get(merchant=request.merchant, pk=pk)
    return render(
        request,
        "payments/transactions/detail.html",
        {"transaction": transaction, "events": list(transaction.events.all())},
    )


@member_required()
def transaction_export(request):
    filterset = transaction_filter(merchant=request.merchant, data=request.GET)
    if not filterset.is_valid():
        # Never export more than was asked for: a bad filter is refused, not dropped.
        errors = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items())
        return HttpResponse(f"Fix the filters first. {errors}\n", status=400, content_type="text/plain")
    rows = transaction_export_rows(queryset=filterset.qs)
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="transactions-{request.merchant.slug}-{stamp}.csv"'
    return response


class _Echo:
    """A file-like object whose ``write`` hands back what it is given (Django's recipe
    for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow([header for header, _ in EXPORT_COLUMNS])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_cell(value) -> str:
    """A value as a CSV cell that a spreadsheet shows and never evaluates."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _filter_query(request) -> str:
    """The current filters as a query string, without the cursor, for the paging and
    export links."""
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    return query.urlencode()
