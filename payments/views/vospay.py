"""Vospay desk pages: new installment order (item rows, costs, live gross; a one-time
form token so a double submit makes one order), the order page (checkout link, contract,
timeline, actions by role) and the contracts list with its CSV export.

The rules live in ``payments.services.vospay``; these views parse, call and show."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import member_required
from payments.selectors import BadCursor, TransactionPage, transaction_page
from payments.selectors_vospay import (
    CONTRACT_EXPORT_COLUMNS,
    contract_export_rows,
    contract_filter,
    vospay_connections,
    vospay_order_get,
)
from payments.services.common import Actor
from payments.services.idempotency import form_token_bind, form_token_claim, form_token_issue, form_token_link
from payments.services.vospay import (
    COST_FIELDS,
    MAX_ITEMS,
    vospay_checkout_url,
    vospay_order_cancel,
    vospay_order_cancel_reason,
    vospay_order_create,
    vospay_order_verify,
)
from payments.views.transactions import _Echo, _filter_query, csv_cell
from providers.base.errors import ProviderError

ORDER_SCOPE = "form:vospay-order"
TEXT_FIELDS = ("description", "customer_name", "customer_phone")


# -- new order -------------------------------------------------------------------------------
@member_required(Role.MANAGER)
def order_new(request):
    connections = list(vospay_connections(merchant=request.merchant))
    if not connections:
        return render(request, "payments/vospay/no_connection.html")
    if request.method == "POST":
        return _order_submit(request, connections)
    token = form_token_issue(merchant=request.merchant, scope=ORDER_SCOPE)
    values = {"token": token, "connection": str(connections[0].pk), "items": [{}],
              **{name: "0" for name in COST_FIELDS}}
    return _order_form(request, connections, values, {})


def _posted(request) -> dict:
    post = request.POST
    names, quantities, prices = (post.getlist(f"item_{f}") for f in ("name", "quantity", "unit_price"))
    rows = max(len(names), len(quantities), len(prices))
    items = [{"name": _at(names, n), "quantity": _at(quantities, n), "unit_price": _at(prices, n)}
             for n in range(rows)]
    # A row left wholly empty is a row the person added and did not use: drop it.
    items = [i for i in items if any(v.strip() for v in i.values())][:MAX_ITEMS + 1]
    return {"token": post.get("token", ""), "connection": post.get("connection", ""), "items": items,
            **{name: post.get(name, "").strip() for name in (*COST_FIELDS, *TEXT_FIELDS)}}


def _at(values: list[str], n: int) -> str:
    return values[n] if n < len(values) else ""


def _order_submit(request, connections):
    values = _posted(request)
    connection = next((c for c in connections if str(c.pk) == values["connection"]), None)
    if connection is None:
        return _order_form(request, connections, values, {"connection": "Choose a Vospay connection."}, 400)
    fields = {"items": values["items"], **{n: values[n] for n in (*COST_FIELDS, *TEXT_FIELDS)}}
    details = {"connection": values["connection"], **fields}
    bound = form_token_bind(merchant=request.merchant, token=values["token"], scope=ORDER_SCOPE, details=details)
    claim = form_token_claim(merchant=request.merchant, token=values["token"], scope=ORDER_SCOPE,
                             details=details) if bound.won else bound
    if not claim.won:
        return _token_used(request, claim)
    try:
        order = vospay_order_create(connection=connection, actor=Actor.for_user(request.user),
                                    on_created=lambda tx: form_token_link(claim=claim, transaction_obj=tx), **fields)
    except ValidationError as e:
        # Nothing was made: a fresh token for the corrected form.
        values["token"] = form_token_issue(merchant=request.merchant, scope=ORDER_SCOPE)
        values["items"] = values["items"] or [{}]
        return _order_form(request, connections, values, {k: v[0] for k, v in e.message_dict.items()}, 400)
    messages.success(request, f"Order {order.reference} created. Copy the checkout link and send it to your customer.")
    return redirect("payments:vospay-order-detail", pk=order.pk)


def _token_used(request, claim):
    if claim.already is not None:
        messages.info(request, "This order was already created; here it is. Nothing was created twice.")
        return redirect("payments:vospay-order-detail", pk=claim.already.pk)
    messages.error(request, "This order form has expired or was already sent. Please enter the order again.")
    return redirect("payments:vospay-order-new")


def _order_form(request, connections, values: dict, errors: dict, status: int = 200):
    items = [{**item, "errors": {f: errors.get(f"items.{n}.{f}", "") for f in ("name", "quantity", "unit_price")}}
             for n, item in enumerate(values["items"])]
    return render(request, "payments/vospay/order_form.html", {
        "connections": connections, "values": values, "items": items, "errors": errors,
        "items_error": errors.get("items", ""),
        "max_items": MAX_ITEMS,
    }, status=status)


# -- one order -------------------------------------------------------------------------------
@member_required()
def order_detail(request, pk: int):
    order = vospay_order_get(merchant=request.merchant, pk=pk)
    detail = order.vospay_order
    return render(request, "payments/vospay/order_detail.html", {
        "transaction": order, "order": detail, "items": list(detail.items.all()),
        "events": list(order.events.all()), "checkout_url": vospay_checkout_url(order),
        "cancel_reason": vospay_order_cancel_reason(order),
    })


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def order_cancel(request, pk: int):
    order = vospay_order_get(merchant=request.merchant, pk=pk)
    try:
        vospay_order_cancel(order=order, actor=Actor.for_user(request.user))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, f"Order {order.reference} cancelled; its checkout link no longer works.")
    return redirect("payments:vospay-order-detail", pk=order.pk)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def order_verify(request, pk: int):
    order = vospay_order_get(merchant=request.merchant, pk=pk)
    if not order.external_id:
        messages.error(request, "The customer has not reached Vospay yet: there is nothing to verify.")
        return redirect("payments:vospay-order-detail", pk=order.pk)
    try:
        vospay_order_verify(order=order, actor=Actor.for_user(request.user))
    except ProviderError as e:
        messages.error(request, f"Vospay could not be asked right now: {e.message} Paydesk will try again.")
    else:
        detail = order.vospay_order
        detail.refresh_from_db()
        if detail.verified_at:
            status = detail.contract_status or "Pending"
            messages.info(request, f"Vospay verified the purchase; the contract is {status}.")
        else:
            messages.info(request, "Vospay does not verify a finalized purchase for this order yet.")
    return redirect("payments:vospay-order-detail", pk=order.pk)


# -- contracts -------------------------------------------------------------------------------
@member_required()
def contract_list(request):
    filterset = contract_filter(merchant=request.merchant, data=request.GET)
    cursor_error = ""
    try:
        page = transaction_page(queryset=filterset.qs, after=request.GET.get("after", ""),
                                before=request.GET.get("before", ""))
    except BadCursor:
        cursor_error = "That page link is not valid any more. Start again from the newest contracts."
        page = TransactionPage(rows=[], newer=None, older=None)
    return render(request, "payments/vospay/contract_list.html", {
        "filter": filterset, "page": page, "cursor_error": cursor_error, "filter_query": _filter_query(request),
    })


@member_required()
def contract_export(request):
    filterset = contract_filter(merchant=request.merchant, data=request.GET)
    if not filterset.is_valid():
        errors = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items())
        return HttpResponse(f"Fix the filters first. {errors}\n", status=400, content_type="text/plain")
    rows = contract_export_rows(queryset=filterset.qs)

    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow([header for header, _ in CONTRACT_EXPORT_COLUMNS])
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="contracts-{request.merchant.slug}-{stamp}.csv"'
    return response


