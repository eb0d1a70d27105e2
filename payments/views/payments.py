"""Payments, whatever the provider: every ``kind=payment`` transaction in one list (with
filters, search, keyset pages and CSV export) and one detail page with its timeline,
its refunds and, for managers and owners, the refund form.

Nothing here knows a provider: a provider's payments show up once it records them as
``kind=payment``, and the refund form appears once it registers a refunder
(``payments.services.refunds``). The amount field is shown only for providers whose
refunder takes partial refunds; EoneoPay refunds in full."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import member_required
from payments.forms_eoneopay import RefundForm
from payments.selectors import BadCursor, TransactionPage, transaction_page
from payments.selectors_eoneopay import (
    PAYMENT_EXPORT_COLUMNS,
    payment_export_rows,
    payment_filter,
    payment_get,
    refunds_of,
)
from payments.services import refunds
from payments.services.common import Actor
from payments.services.idempotency import (
    form_token_bind,
    form_token_claim,
    form_token_issue,
    form_token_link,
    form_token_release,
)
from payments.views.eoneopay import csv_response, filter_query, say_outcome

REFUND_SCOPE = "form:refund"


@member_required()
def payment_list(request):
    filterset = payment_filter(merchant=request.merchant, data=request.GET)
    cursor_error = ""
    try:
        page = transaction_page(queryset=filterset.qs, after=request.GET.get("after", ""),
                                before=request.GET.get("before", ""))
    except BadCursor:
        cursor_error = "That page link is not valid any more. Start again from the newest payments."
        page = TransactionPage(rows=[], newer=None, older=None)
    return render(request, "payments/payments/list.html", {
        "filter": filterset, "page": page, "cursor_error": cursor_error, "filter_query": filter_query(request),
    })


@member_required()
def payment_export(request):
    filterset = payment_filter(merchant=request.merchant, data=request.GET)
    if not filterset.is_valid():
        errors = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items())
        return HttpResponse(f"Fix the filters first. {errors}\n", status=400, content_type="text/plain")
    return csv_response(payment_export_rows(queryset=filterset.qs), PAYMENT_EXPORT_COLUMNS,
                        f"payments-{request.merchant.slug}")


@member_required()
def payment_detail(request, pk: int, *, form=None, status: int = 200):
    payment = payment_get(merchant=request.merchant, pk=pk)
    partial = refunds.refunds_partial(payment.provider)
    refundable = refunds.can_refund(payment) and request.membership.allows(Role.MANAGER)
    if refundable and form is None:
        form = RefundForm(partial=partial, initial={
            "token": form_token_issue(merchant=request.merchant, scope=REFUND_SCOPE)})
    return render(request, "payments/payments/detail.html", {
        "transaction": payment, "events": list(payment.events.all()), "refunds": refunds_of(payment=payment),
        "refunded": refunds.refunded_amount(payment), "remaining": refunds.refundable_amount(payment),
        "refund_form": form if refundable else None, "partial": partial,
    }, status=status)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def payment_refund(request, pk: int):
    payment = payment_get(merchant=request.merchant, pk=pk)
    partial = refunds.refunds_partial(payment.provider)
    form = RefundForm(request.POST, partial=partial)
    if not form.is_valid():
        return payment_detail(request, pk, form=form, status=400)
    amount = (form.cleaned_data.get("amount") or "").strip() or None
    token = form.cleaned_data["token"]
    details = {"payment": str(payment.pk), "amount": amount or ""}
    form_token_bind(merchant=request.merchant, token=token, scope=REFUND_SCOPE, details=details)
    claim = form_token_claim(merchant=request.merchant, token=token, scope=REFUND_SCOPE, details=details)
    if not claim.won:
        if claim.already is not None or claim.in_flight:
            messages.info(request, "This refund was already sent. Nothing was refunded twice.")
        else:
            messages.error(request, "This refund form has expired. Please try again.")
        return redirect("payments:payment-detail", pk=payment.pk)
    try:
        refund = refunds.refund_create(payment=payment, amount=amount, actor=Actor.for_user(request.user),
                                       idempotency_token=token)
    except ValidationError as e:  # refused before anything was sent: the token is given back
        form_token_release(claim=claim)
        form = RefundForm(partial=partial, initial={"token": token, "amount": amount or ""})
        _errors_on(form, e)
        return payment_detail(request, pk, form=form, status=400)
    form_token_link(claim=claim, transaction_obj=refund)
    say_outcome(request, refund, "refund")
    return redirect("payments:payment-detail", pk=payment.pk)


def _errors_on(form, error: ValidationError) -> None:
    """Show a refund's refusal on an unbound form (a fresh token, what was typed kept)."""
    form._errors = {}
    form.cleaned_data = {}
    form.apply(error)
