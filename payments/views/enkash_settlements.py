"""EnKash settlements and QR code pages: settlement list (filters, keyset pages, CSV),
detail with totals and settled items, "search EnKash now"; QR codes (list, CSV, create
with a one-time form token, detail with the PNG, cancel) and QR customers.

Views that call EnKash opt out of the request transaction (``non_atomic_requests``):
nothing holds a database transaction open while EnKash is slow, and what the service
recorded before an error stays recorded. Every rule lives in the services."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import member_required
from payments.filters_enkash_settlements import qr_code_filter, settlement_filter
from payments.forms_enkash_settlements import QrCodeForm, QrCustomerForm
from payments.models import QrCode, SyncRun
from payments.selectors import BadCursor, TransactionPage, transaction_page
from payments.selectors_enkash_settlements import (
    ITEM_EXPORT_COLUMNS,
    QR_EXPORT_COLUMNS,
    SETTLEMENT_EXPORT_COLUMNS,
    export_rows,
    last_settlement_searches,
    qr_code_get,
    qr_customers_find,
    settlement_get,
    settlement_item_rows,
    settlement_items,
)
from payments.services.common import Actor
from payments.services.enkash_settlements import (
    enkash_connections,
    qr_code_cancel,
    qr_code_create,
    qr_code_refresh,
    qr_codes_import,
    qr_customer_create,
    qr_customers_search,
    settlement_refresh,
)
from payments.services.idempotency import form_token_bind, form_token_claim, form_token_issue, form_token_release
from payments.sync.enkash_settlements import settlements_sync
from payments.views.transactions import _Echo, _filter_query, csv_cell
from providers.base.errors import ProviderError, ProviderRejected

QR_SCOPE = "form:enkash-qr-code"
CUSTOMERS_SHOWN = 50


def _no_enkash(request, what: str):
    return render(request, "payments/enkash_settlements/no_connection.html", {"what": what})


def _page(request, queryset):
    try:
        return transaction_page(queryset=queryset, after=request.GET.get("after", ""),
                                before=request.GET.get("before", "")), ""
    except BadCursor:
        return TransactionPage(rows=[], newer=None, older=None), "That page link is not valid any more. " \
                                                                 "Start again from the newest."


def _csv(rows, columns, filename: str):
    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow([header for header, _ in columns])
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{timezone.localtime():%Y%m%d-%H%M}.csv"'
    return response


def _refused_export(filterset):
    errors = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items())
    return HttpResponse(f"Fix the filters first. {errors}\n", status=400, content_type="text/plain")


# -- settlements ------------------------------------------------------------------------------
@member_required()
def settlement_list(request):
    filterset = settlement_filter(merchant=request.merchant, data=request.GET)
    page, cursor_error = _page(request, filterset.qs)
    return render(request, "payments/enkash_settlements/settlement_list.html", {
        "filter": filterset, "page": page, "cursor_error": cursor_error, "filter_query": _filter_query(request),
        "has_enkash": enkash_connections(merchant=request.merchant).exists(),
        "searches": last_settlement_searches(merchant=request.merchant),
    })


@member_required()
def settlement_export(request):
    filterset = settlement_filter(merchant=request.merchant, data=request.GET)
    if not filterset.is_valid():
        return _refused_export(filterset)
    rows = export_rows(queryset=filterset.qs, columns=SETTLEMENT_EXPORT_COLUMNS)
    return _csv(rows, SETTLEMENT_EXPORT_COLUMNS, f"settlements-{request.merchant.slug}")


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def settlement_search(request):
    """Search EnKash now, with the list's dates, status and UTR (every connection)."""
    filterset = settlement_filter(merchant=request.merchant, data=request.POST)
    back = redirect(f"{_list_url()}?{_query_of(request.POST)}")
    if not filterset.is_valid():
        messages.error(request, "Fix the filters first: EnKash was not asked.")
        return back
    data = filterset.form.cleaned_data
    connections = list(enkash_connections(merchant=request.merchant))
    if not connections:
        messages.error(request, "Connect EnKash first: there is nothing to search.")
        return back
    for connection in connections:
        run = settlements_sync(
            connection=connection, trigger=SyncRun.Trigger.MANUAL, user=request.user,
            from_date=data.get("payout_from"), to_date=data.get("payout_to"), status=data.get("status") or None,
            utr="".join((data.get("utr") or "").split()).upper() or None,
        )
        if run.error:
            messages.error(request, f"EnKash could not be searched just now: {run.error}")
        else:
            messages.success(request, f"EnKash listed {run.total} settlement payout(s); {run.changed} new or changed.")
    return back


def _list_url() -> str:
    from django.urls import reverse

    return reverse("payments:enkash-settlement-list")


def _query_of(data) -> str:
    query = data.copy()
    for name in ("csrfmiddlewaretoken", "after", "before"):
        query.pop(name, None)
    for name in [k for k, v in query.items() if not v]:
        query.pop(name)
    return query.urlencode()


@member_required()
def settlement_detail(request, pk: int):
    settlement = settlement_get(merchant=request.merchant, pk=pk)
    items = settlement_items(settlement=settlement)
    return render(request, "payments/enkash_settlements/settlement_detail.html", {
        "settlement": settlement, "detail": settlement.settlement, "items": items,
        "matched": sum(1 for i in items if i.matched_id), "events": list(settlement.events.all()),
    })


@member_required()
def settlement_items_export(request, pk: int):
    settlement = settlement_get(merchant=request.merchant, pk=pk)
    rows = settlement_item_rows(settlement=settlement)
    return _csv(rows, ITEM_EXPORT_COLUMNS, f"settlement-{settlement.external_id}")


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def settlement_check(request, pk: int):
    settlement = settlement_get(merchant=request.merchant, pk=pk)
    try:
        settlement = settlement_refresh(settlement=settlement, actor=Actor.for_user(request.user))
    except ProviderError as e:
        messages.error(request, f"EnKash could not be asked right now: {e.message}")
    else:
        messages.info(request, f"EnKash says {settlement.raw_status}.")
    return redirect("payments:enkash-settlement-detail", pk=pk)


# -- QR codes ---------------------------------------------------------------------------------
@member_required()
def qr_code_list(request):
    filterset = qr_code_filter(merchant=request.merchant, data=request.GET)
    page, cursor_error = _page(request, filterset.qs)
    return render(request, "payments/enkash_settlements/qr_list.html", {
        "filter": filterset, "page": page, "cursor_error": cursor_error, "filter_query": _filter_query(request),
        "has_enkash": enkash_connections(merchant=request.merchant).exists(),
    })


@member_required()
def qr_code_export(request):
    filterset = qr_code_filter(merchant=request.merchant, data=request.GET)
    if not filterset.is_valid():
        return _refused_export(filterset)
    rows = export_rows(queryset=filterset.qs, columns=QR_EXPORT_COLUMNS)
    return _csv(rows, QR_EXPORT_COLUMNS, f"qr-codes-{request.merchant.slug}")


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def qr_code_import(request):
    """Read EnKash's QR codes: payments received, codes made elsewhere."""
    total = 0
    for connection in enkash_connections(merchant=request.merchant):
        try:
            total += qr_codes_import(connection=connection, actor=Actor.for_user(request.user))
        except ProviderError as e:
            messages.error(request, f"EnKash could not be asked right now: {e.message}")
            return redirect("payments:enkash-qr-list")
    messages.success(request, f"Read {total} QR code(s) from EnKash.")
    return redirect("payments:enkash-qr-list")


def _qr_form(request, form, status=200):
    return render(request, "payments/enkash_settlements/qr_form.html", {"form": form}, status=status)


@transaction.non_atomic_requests
@member_required(Role.MANAGER)
def qr_code_new(request):
    connections = enkash_connections(merchant=request.merchant)
    if not connections.exists():
        return _no_enkash(request, "create QR codes")
    customers = qr_customers_find(merchant=request.merchant).filter(connection__in=connections)
    if request.method != "POST":
        initial = {"token": form_token_issue(merchant=request.merchant, scope=QR_SCOPE)}
        chosen = customers.filter(pk=request.GET.get("customer")).first() if request.GET.get(
            "customer", "").isdigit() else None
        if chosen is not None:
            initial |= {"customer": chosen.pk, "connection": chosen.connection_id}
        return _qr_form(request, QrCodeForm(initial=initial, connections=connections, customers=customers))
    form = QrCodeForm(request.POST, connections=connections, customers=customers)
    if not form.is_valid():
        return _qr_form(request, form, status=400)
    return _qr_create(request, form)


def _qr_create(request, form):
    connection, token, fields = form.cleaned_data["connection"], form.cleaned_data["token"], form.service_fields()
    details = {"connection": connection.pk, **{k: str(v) for k, v in fields.items()}}
    bound = form_token_bind(merchant=request.merchant, token=token, scope=QR_SCOPE, details=details)
    claim = form_token_claim(merchant=request.merchant, token=token, scope=QR_SCOPE, details=details) \
        if bound.won else bound
    if not claim.won:
        made = QrCode.objects.filter(merchant=request.merchant, request_key=f"{QR_SCOPE}:{token}").first()
        if made is not None:
            messages.info(request, "This QR code was already created; here it is. Nothing was created twice.")
            return redirect("payments:enkash-qr-detail", pk=made.pk)
        if claim.in_flight:
            messages.info(request, "This QR code is being created right now; it will appear in the list.")
            return redirect("payments:enkash-qr-list")
        messages.error(request, "This form has expired. Please enter the QR code again.")
        return redirect("payments:enkash-qr-new")
    try:
        qr = qr_code_create(connection=connection, actor=Actor.for_user(request.user),
                            request_key=f"{QR_SCOPE}:{token}", **fields)
    except ValidationError as e:
        form_token_release(claim=claim)
        form.apply(e)
        return _qr_form(request, form, status=400)
    except ProviderError as e:
        form_token_release(claim=claim)
        form.add_error(None, e.message)
        return _qr_form(request, form, status=400 if isinstance(e, ProviderRejected) else 503)
    messages.success(request, f"QR code “{qr.name}” created: print it or share the image.")
    return redirect("payments:enkash-qr-detail", pk=qr.pk)


@member_required()
def qr_code_detail(request, pk: int):
    qr = qr_code_get(merchant=request.merchant, pk=pk)
    return render(request, "payments/enkash_settlements/qr_detail.html", {
        "qr": qr, "events": list(qr.events.all()),
    })


@member_required()
def qr_code_png(request, pk: int):
    """The image EnKash drew, as it sent it (a PNG of the UPI URL)."""
    qr = qr_code_get(merchant=request.merchant, pk=pk)
    response = HttpResponse(bytes(qr.png), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    if "download" in request.GET:
        response["Content-Disposition"] = f'attachment; filename="qr-{qr.external_id}.png"'
    return response


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def qr_code_cancel_view(request, pk: int):
    qr = qr_code_get(merchant=request.merchant, pk=pk)
    if not qr.can_cancel:
        messages.info(request, "This QR code is already cancelled.")
        return redirect("payments:enkash-qr-detail", pk=pk)
    try:
        qr_code_cancel(qr_code=qr, actor=Actor.for_user(request.user))
    except ProviderError as e:
        messages.error(request, f"EnKash did not cancel the QR code: {e.message}")
    else:
        messages.success(request, "QR code cancelled: payers can no longer pay it.")
    return redirect("payments:enkash-qr-detail", pk=pk)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def qr_code_check(request, pk: int):
    qr = qr_code_get(merchant=request.merchant, pk=pk)
    try:
        qr_code_refresh(qr_code=qr, actor=Actor.for_user(request.user))
    except ProviderError as e:
        messages.error(request, f"EnKash could not be asked right now: {e.message}")
    else:
        messages.info(request, f"EnKash counts {qr.payments_count} payment(s) on this code.")
    return redirect("payments:enkash-qr-detail", pk=pk)


# -- QR customers -----------------------------------------------------------------------------
@transaction.non_atomic_requests
@member_required()
def qr_customer_list(request):
    """Search the kept customers (and EnKash's, on request); managers add customers here."""
    connections = enkash_connections(merchant=request.merchant)
    q = request.GET.get("q", "").strip()
    error = ""
    if q and "enkash" in request.GET and connections.exists():
        error = _search_enkash(connections, q)
    form, status = None, 200
    if request.membership.allows(Role.MANAGER) and connections.exists():
        form = QrCustomerForm(request.POST or None, connections=connections)
        if request.method == "POST":
            made = _customer_create(request, form)
            if made is not None:
                messages.success(request, f"Customer {made.name} added.")
                return redirect(f"{request.path}?q={made.mobile or made.name}")
            status = 400
    elif request.method == "POST":
        raise PermissionDenied("Adding QR customers needs the manager role.")
    customers = list(qr_customers_find(merchant=request.merchant, q=q)[:CUSTOMERS_SHOWN])
    return render(request, "payments/enkash_settlements/qr_customers.html", {
        "customers": customers, "q": q, "form": form, "error": error, "has_enkash": connections.exists(),
        "shown": CUSTOMERS_SHOWN,
    }, status=status)


def _search_enkash(connections, q: str) -> str:
    compact = "".join(q.split()).removeprefix("+91")
    fields = {"mobile": compact} if compact.isdigit() else ({"email": q} if "@" in q else {"name": q})
    try:
        for connection in connections:
            qr_customers_search(connection=connection, **fields)
    except (ProviderError, ValueError) as e:
        return f"EnKash could not be searched: {getattr(e, 'message', str(e))}"
    return ""


def _customer_create(request, form):
    if not form.is_valid():
        return None
    data = dict(form.cleaned_data)
    connection = data.pop("connection")
    try:
        return qr_customer_create(connection=connection, actor=Actor.for_user(request.user), **data)
    except ValidationError as e:
        form.apply(e)
    except ProviderError as e:
        form.add_error(None, e.message)
    return None
