"""EnKash desk pages: a new order, the order page (checkout link, UPI intent links per
app, the dynamic QR code, BNPL modes, the payments with their refunds, the UPI-collect /
net-banking form, the refund form, the timeline) and the order's QR image.

Views that call EnKash opt out of the request transaction (``non_atomic_requests``):
each row that moves money is committed before EnKash is called, and the shared session
token's cache rows must be visible to every process at once. Forms that move money
carry a one-time token (``payments.services.idempotency``): a double submit or a reload
moves money once. Every rule lives in ``payments.services.enkash``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import member_required
from payments.enkash_forms import OrderForm, PaymentDetailForm, RefundForm
from payments.enkash_selectors import enkash_connections, enkash_order_get, enkash_order_payments, enkash_payment_get
from payments.models import Status
from payments.services.common import Actor
from payments.services.enkash import (
    order_create,
    order_pay_options,
    order_qr_png,
    order_refresh,
    order_validate,
    payment_submit,
    payment_validate,
)
from payments.services.idempotency import (
    form_token_bind,
    form_token_claim,
    form_token_issue,
    form_token_link,
    form_token_release,
)
from payments.services.refunds import refund_create
from providers.base.errors import ProviderError

ORDER_SCOPE = "form:enkash-order"
ORDER_FIELDS = ("amount", "customer_first_name", "customer_last_name", "customer_email", "customer_phone",
                "description", "return_url")
# How an order's status reads in a sentence.
ORDER_WORDS = {"pending": "not paid yet", "succeeded": "paid", "failed": "failed", "cancelled": "cancelled or expired",
               "unknown": "not known yet"}
PAY_FIELDS = ("payment_mode", "vpa", "bank_code", "account_number", "ifsc")


def _pay_scope(order) -> str:
    return f"form:enkash-pay:{order.pk}"


def _refund_scope(payment) -> str:
    return f"form:enkash-refund:{payment.pk}"


def _detail_url(order) -> str:
    return reverse("payments:enkash-order-detail", args=[order.pk])


def _claim(request, *, token: str, scope: str, details: dict):
    """Bind the one-time token to what is submitted and claim it, in one go (these forms
    have no confirmation step): a second submit of the same token claims nothing."""
    bound = form_token_bind(merchant=request.merchant, token=token, scope=scope, details=details)
    if not bound.won:
        return bound
    return form_token_claim(merchant=request.merchant, token=token, scope=scope, details=details)


def _token_used(request, claim, *, what: str, fallback: str):
    if claim.already is not None:
        messages.info(request, f"This {what} was already sent; nothing was sent twice.")
    elif claim.in_flight:
        messages.info(request, f"This {what} is being sent right now; it will appear here.")
    else:
        messages.error(request, f"This {what} form has expired. Please enter it again.")
    return redirect(fallback)


# -- a new order -----------------------------------------------------------------------------
@transaction.non_atomic_requests
@member_required(Role.MANAGER)
def order_new(request):
    connections = enkash_connections(merchant=request.merchant)
    if not connections.exists():
        return render(request, "payments/enkash/no_connection.html")
    if request.method != "POST":
        token = form_token_issue(merchant=request.merchant, scope=ORDER_SCOPE)
        return _order_form(request, OrderForm(connections=connections, initial={"token": token}))
    form = OrderForm(request.POST, connections=connections)
    if not form.is_valid():
        return _order_form(request, form, status=400)
    connection = form.cleaned_data["connection"]
    fields = {f: form.cleaned_data[f] for f in ORDER_FIELDS}
    try:
        clean = order_validate(connection=connection, **fields)
    except ValidationError as e:
        form.apply(e)
        return _order_form(request, form, status=400)
    details = {"connection": str(connection.pk), **{f: str(clean[f]) for f in ORDER_FIELDS}}
    claim = _claim(request, token=form.cleaned_data["token"], scope=ORDER_SCOPE, details=details)
    if not claim.won:
        if claim.already is not None:
            messages.info(request, "This order was already created; here it is. Nothing was created twice.")
            return redirect(_detail_url(claim.already))
        return _token_used(request, claim, what="order", fallback="payments:order-list")
    order = order_create(connection=connection, actor=Actor.for_user(request.user),
                         on_created=lambda tx: form_token_link(claim=claim, transaction_obj=tx), **fields)
    if order.status == Status.FAILED:
        messages.error(request, f"EnKash did not create the order: {order.last_error}")
    elif order.status == Status.UNKNOWN:
        messages.warning(request, "EnKash did not confirm the order in time. Paydesk is asking EnKash about it; "
                                  "it will not be created twice.")
    else:
        messages.success(request, f"Order {order.reference} created: share its checkout link, UPI link or QR code.")
    return redirect(_detail_url(order))


def _order_form(request, form, status=200):
    return render(request, "payments/enkash/order_form.html", {"form": form}, status=status)


# -- the order page --------------------------------------------------------------------------
@transaction.non_atomic_requests
@member_required()
def order_detail(request, pk: int):
    order = enkash_order_get(merchant=request.merchant, pk=pk)
    notice = ""
    if not order.is_final:
        try:
            order_refresh(order=order, actor=Actor.sync())
        except ProviderError as e:
            notice = f"EnKash could not be asked just now ({e.message}); this is what Paydesk knew last."
    return _render_detail(request, enkash_order_get(merchant=request.merchant, pk=pk), notice=notice)


def _render_detail(request, order, *, pay_form=None, refund_forms=None, notice="", status=200):
    manager = request.membership.allows(Role.MANAGER)
    rows = enkash_order_payments(order=order)
    if manager:
        for row in rows:
            if row.refundable:
                row.form = (refund_forms or {}).get(row.payment.pk) or RefundForm(
                    auto_id=f"id_refund{row.payment.pk}_%s",
                    initial={"token": form_token_issue(merchant=request.merchant, scope=_refund_scope(row.payment))})
    payable = order.status == Status.PENDING
    if payable and manager and pay_form is None:
        pay_form = PaymentDetailForm(initial={
            "token": form_token_issue(merchant=request.merchant, scope=_pay_scope(order))})
    options = order_pay_options(order=order) if payable else None
    # What can still change, for the page's status poller (the sync and callbacks move it).
    candidates = [order, *(r.payment for r in rows), *(f for r in rows for f in r.refunds)]
    open_ids = ",".join(str(t.pk) for t in candidates if not t.is_final)
    return render(request, "payments/enkash/order_detail.html", {
        "order": order, "detail": order.enkash_order, "events": list(order.events.all()), "rows": rows,
        "pay_form": pay_form if payable and manager else None, "options": options, "notice": notice,
        "manager": manager, "open_ids": open_ids,
    }, status=status)


@transaction.non_atomic_requests
@member_required()
def order_qr(request, pk: int):
    order = enkash_order_get(merchant=request.merchant, pk=pk)
    if order.status != Status.PENDING:
        raise Http404("This order can no longer be paid.")
    try:
        png = order_qr_png(order=order)
    except ProviderError as e:
        return HttpResponse(e.message, status=503, content_type="text/plain")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def order_check(request, pk: int):
    order = enkash_order_get(merchant=request.merchant, pk=pk)
    try:
        order_refresh(order=order, actor=Actor.for_user(request.user))
    except ProviderError as e:
        messages.error(request, f"EnKash could not be asked right now: {e.message} Paydesk will try again.")
    else:
        word = ORDER_WORDS.get(order.status, order.get_status_display().lower())
        messages.info(request, f"EnKash says: {word}{f' ({order.raw_status})' if order.raw_status else ''}.")
    return redirect(_detail_url(order))


# -- paying it from the desk (UPI collect, net banking) ---------------------------------------
@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def order_pay(request, pk: int):
    order = enkash_order_get(merchant=request.merchant, pk=pk)
    form = PaymentDetailForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, order, pay_form=form, status=400)
    fields = {f: form.cleaned_data[f] for f in PAY_FIELDS}
    try:
        clean = payment_validate(order=order, **fields)
    except ValidationError as e:
        form.apply(e)
        return _render_detail(request, order, pay_form=form, status=400)
    claim = _claim(request, token=form.cleaned_data["token"], scope=_pay_scope(order), details=clean)
    if not claim.won:
        return _token_used(request, claim, what="payment", fallback=_detail_url(order))
    try:
        payment = payment_submit(order=order, actor=Actor.for_user(request.user),
                                 on_created=lambda tx: form_token_link(claim=claim, transaction_obj=tx), **fields)
    except ValidationError as e:  # another payment started meanwhile: nothing sent
        form_token_release(claim=claim)
        form.apply(e)
        return _render_detail(request, order, pay_form=form, status=400)
    if payment.status == Status.FAILED:
        messages.error(request, f"EnKash did not take the payment: {payment.last_error}")
    elif payment.status == Status.UNKNOWN:
        messages.warning(request, "EnKash did not confirm the payment in time. Paydesk is checking; "
                                  "it will not be sent again.")
    else:
        messages.success(request, f"Payment {payment.reference} sent to EnKash: "
                                  f"{payment.get_status_display().lower()} ({payment.raw_status}).")
    return redirect(_detail_url(order) + "#payments")


# -- refunds ---------------------------------------------------------------------------------
@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def payment_refund(request, pk: int):
    payment = enkash_payment_get(merchant=request.merchant, pk=pk)
    order = enkash_order_get(merchant=request.merchant, pk=payment.parent_id)
    form = RefundForm(request.POST, auto_id=f"id_refund{payment.pk}_%s")
    if not form.is_valid():
        return _render_detail(request, order, refund_forms={payment.pk: form}, status=400)
    amount, remarks = form.cleaned_data["amount"].strip(), form.cleaned_data["remarks"]
    token = form.cleaned_data["token"]
    details = {"payment": str(payment.pk), "amount": amount, "remarks": remarks}
    claim = _claim(request, token=token, scope=_refund_scope(payment), details=details)
    if not claim.won:
        return _token_used(request, claim, what="refund", fallback=_detail_url(order))
    try:
        # The form token is the refund's idempotency key: its requestId at EnKash too.
        refund = refund_create(payment=payment, amount=amount or None, actor=Actor.for_user(request.user),
                               idempotency_token=token, remarks=remarks)
    except ValidationError as e:  # more than is left, or no longer refundable: nothing sent
        form_token_release(claim=claim)
        form.apply(e)
        return _render_detail(request, order, refund_forms={payment.pk: form}, status=400)
    form_token_link(claim=claim, transaction_obj=refund)
    if refund.status == Status.FAILED:
        messages.error(request, f"EnKash did not make the refund: {refund.last_error}")
    elif refund.status == Status.UNKNOWN:
        messages.warning(request, "EnKash did not confirm the refund in time. Paydesk asks again with the same "
                                  "request id; it will not be refunded twice.")
    else:
        messages.success(request, f"Refund of {refund.amount} INR sent to EnKash "
                                  f"({refund.get_status_display().lower()}).")
    return redirect(_detail_url(order) + "#payments")
