"""EoneoPay desk pages: customers with their cards and bank accounts, charging a stored
card, and the connection's EoneoPay API keys.

Views that call EoneoPay opt out of the request transaction
(``non_atomic_requests``): a charge's pending row must be committed before the payment
goes out, and nothing holds a database transaction open while EoneoPay is slow. Card
numbers and CVVs are read from the form, handed to the service and never rendered
back (the form's widgets do not render their values)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import member_required
from payments.forms_eoneopay import BankAddForm, CardAddForm, ChargeForm, CustomerEditForm, CustomerForm
from payments.selectors import BadCursor, TransactionPage, transaction_page
from payments.selectors_eoneopay import (
    CUSTOMER_EXPORT_COLUMNS,
    api_key_get,
    api_keys_for,
    card_get,
    cards_for,
    customer_cards,
    customer_export_rows,
    customer_filter,
    customer_get,
    customer_payments,
    eoneopay_connections,
)
from payments.services import eoneopay as service
from payments.services.common import Actor
from payments.services.idempotency import (
    form_token_bind,
    form_token_claim,
    form_token_issue,
    form_token_link,
    form_token_release,
)
from payments.views.transactions import csv_cell
from providers.selectors import connection_get

CHARGE_SCOPE = "form:eoneopay-charge"


# -- customers --------------------------------------------------------------------------------
@member_required()
def customer_list(request):
    filterset = customer_filter(merchant=request.merchant, data=request.GET)
    cursor_error = ""
    try:
        page = transaction_page(queryset=filterset.qs, after=request.GET.get("after", ""),
                                before=request.GET.get("before", ""))
    except BadCursor:
        cursor_error = "That page link is not valid any more. Start again from the newest customers."
        page = TransactionPage(rows=[], newer=None, older=None)
    return render(request, "payments/eoneopay/customer_list.html", {
        "filter": filterset, "page": page, "cursor_error": cursor_error, "filter_query": filter_query(request),
        "has_connection": eoneopay_connections(merchant=request.merchant).exists(),
    })


@member_required()
def customer_export(request):
    filterset = customer_filter(merchant=request.merchant, data=request.GET)
    if not filterset.is_valid():
        return HttpResponse("Fix the filters first.\n", status=400, content_type="text/plain")
    rows = customer_export_rows(queryset=filterset.qs)
    return csv_response(rows, CUSTOMER_EXPORT_COLUMNS, f"eoneopay-customers-{request.merchant.slug}")


@transaction.non_atomic_requests
@member_required(Role.MANAGER)
def customer_new(request):
    connections = eoneopay_connections(merchant=request.merchant)
    if not connections.exists():
        return render(request, "payments/eoneopay/no_connection.html", {"what": "add customers"})
    form = CustomerForm(request.POST or None, connections=connections)
    if request.method == "POST" and form.is_valid():
        try:
            cards, banks = _checked_all(form)
            customer = service.customer_create(
                connection=form.cleaned_data["connection"], actor=Actor.for_user(request.user),
                name=form.cleaned_data["name"], email=form.cleaned_data["email"],
                address=form.cleaned_data["address"], cards=cards, bank_accounts=banks,
            )
        except ValidationError as e:
            form.apply(e)
        except service.EoneoPayError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, f"Customer {customer.name} created at EoneoPay.")
            return redirect("payments:eoneopay-customer-detail", pk=customer.pk)
    return render(request, "payments/eoneopay/customer_form.html", {"form": form},
                  status=400 if form.is_bound else 200)


def _checked_all(form) -> tuple[list, list]:
    """The card and bank account, every field's error at once."""
    errors: dict = {}
    results = []
    checks = (lambda: service.details_checked(form.cleaned_data["name"], form.cleaned_data["email"],
                                              form.cleaned_data["address"]),
              lambda: _cards_of(form), lambda: _banks_of(form))
    for check in checks:
        try:
            results.append(check())
        except ValidationError as e:
            errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    return results[1], results[2]


def _cards_of(form) -> list:
    if not form.has_card():
        return []
    d = form.cleaned_data
    return [service.card_checked(d["card_number"], d["card_expiry"], d["card_cvv"])]


def _banks_of(form) -> list:
    if not form.has_bank():
        return []
    d = form.cleaned_data
    return [service.bank_checked(d["bank_name"], d["bank_number"], d["bank_branch"])]


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def customer_import(request):
    total = 0
    for connection in eoneopay_connections(merchant=request.merchant):
        try:
            total += service.customers_import(connection=connection)
        except service.EoneoPayError as e:
            messages.error(request, e.message)
    messages.info(request, f"Read {total} customer{'s' if total != 1 else ''} from EoneoPay.")
    return redirect("payments:eoneopay-customer-list")


@member_required()
def customer_detail(request, pk: int, *, status: int = 200, card_form=None, bank_form=None):
    customer = customer_get(merchant=request.merchant, pk=pk)
    return render(request, "payments/eoneopay/customer_detail.html", {
        "customer": customer, "cards": customer_cards(customer=customer),
        "bank_accounts": list(customer.bank_accounts.all()), "payments": customer_payments(customer=customer),
        "card_form": card_form or CardAddForm(), "bank_form": bank_form or BankAddForm(),
    }, status=status)


@transaction.non_atomic_requests
@member_required(Role.MANAGER)
def customer_edit(request, pk: int):
    customer = customer_get(merchant=request.merchant, pk=pk)
    initial = {"name": customer.name, "email": customer.email, "address": customer.address}
    form = CustomerEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.customer_update(customer=customer, actor=Actor.for_user(request.user), **form.cleaned_data)
        except ValidationError as e:
            form.apply(e)
        except service.EoneoPayError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, "Customer updated at EoneoPay.")
            return _to_customer(customer)
    return render(request, "payments/eoneopay/customer_edit.html", {"customer": customer, "form": form},
                  status=400 if form.is_bound else 200)


def _to_customer(customer):
    return redirect("payments:eoneopay-customer-detail", pk=customer.pk)


def _update(request, customer, **changes) -> str | None:
    """Run one update; the error sentence, or None."""
    try:
        service.customer_update(customer=customer, actor=Actor.for_user(request.user), **changes)
    except service.EoneoPayError as e:
        return e.message
    return None


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def customer_card_add(request, pk: int):
    customer = customer_get(merchant=request.merchant, pk=pk)
    form = CardAddForm(request.POST)
    if form.is_valid():
        try:
            card = _cards_of(form)
        except ValidationError as e:
            form.apply(e)
        else:
            error = _update(request, customer, add_cards=card)
            if error is None:
                messages.success(request, "Card added: EoneoPay tokenised it.")
                return _to_customer(customer)
            form.add_error(None, error)
    return _detail_with(request, pk, card_form=form)


def _detail_with(request, pk, **forms):
    return customer_detail(request, pk, status=400, **forms)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def customer_card_remove(request, pk: int, card_pk: int):
    customer = customer_get(merchant=request.merchant, pk=pk)
    card = get_object_or_404(customer.cards, pk=card_pk, removed_at__isnull=True)
    error = _update(request, customer, remove_card_ids=[card.pk])
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Card {card.masked_pan} removed; its token no longer charges.")
    return _to_customer(customer)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def customer_bank_add(request, pk: int):
    customer = customer_get(merchant=request.merchant, pk=pk)
    form = BankAddForm(request.POST)
    if form.is_valid():
        try:
            banks = _banks_of(form)
        except ValidationError as e:
            form.apply(e)
        else:
            error = _update(request, customer, add_bank_accounts=banks)
            if error is None:
                messages.success(request, "Bank account added.")
                return _to_customer(customer)
            form.add_error(None, error)
    return _detail_with(request, pk, bank_form=form)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def customer_bank_remove(request, pk: int, bank_pk: int):
    customer = customer_get(merchant=request.merchant, pk=pk)
    account = get_object_or_404(customer.bank_accounts, pk=bank_pk)
    error = _update(request, customer, remove_bank_ids=[account.pk])
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Bank account removed.")
    return _to_customer(customer)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def customer_delete(request, pk: int):
    customer = customer_get(merchant=request.merchant, pk=pk)
    try:
        service.customer_delete(customer=customer, actor=Actor.for_user(request.user))
    except service.EoneoPayError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"Customer {customer.name} deleted at EoneoPay; their cards no longer charge.")
    return _to_customer(customer)


# -- charge a stored card -----------------------------------------------------------------------
@transaction.non_atomic_requests
@member_required(Role.MANAGER)
def charge_new(request):
    cards = list(cards_for(merchant=request.merchant))
    if not eoneopay_connections(merchant=request.merchant).exists():
        return render(request, "payments/eoneopay/no_connection.html", {"what": "charge cards"})
    if request.method != "POST":
        token = form_token_issue(merchant=request.merchant, scope=CHARGE_SCOPE)
        form = ChargeForm(cards=cards, initial={"token": token, "card": request.GET.get("card", ""),
                                                "currency": "AUD"})
        return _charge_form(request, form, cards)
    form = ChargeForm(request.POST, cards=cards)
    if not form.is_valid():
        return _charge_form(request, form, cards, status=400)
    data = form.cleaned_data
    card = card_get(merchant=request.merchant, pk=data["card"])
    fields = {f: data[f] for f in ("amount", "currency", "reference", "description")}
    try:
        service.charge_validate(card=card, **fields)
    except ValidationError as e:
        form.apply(e)
        return _charge_form(request, form, cards, status=400)
    details = {"card": str(card.pk), **{k: str(v) for k, v in fields.items()}}
    form_token_bind(merchant=request.merchant, token=data["token"], scope=CHARGE_SCOPE, details=details)
    claim = form_token_claim(merchant=request.merchant, token=data["token"], scope=CHARGE_SCOPE, details=details)
    if not claim.won:
        if claim.already is not None:
            messages.info(request, "This charge was already sent; here it is. Nothing was charged twice.")
            return redirect("payments:payment-detail", pk=claim.already.pk)
        if claim.in_flight:
            messages.info(request, "This charge is being sent right now; it will appear in the list.")
            return redirect("payments:payment-list")
        messages.error(request, "This charge form has expired. Please enter the charge again.")
        return redirect("payments:eoneopay-charge")
    try:
        payment = service.payment_charge(
            connection=card.customer.connection, actor=Actor.for_user(request.user), card=card,
            on_created=lambda tx: form_token_link(claim=claim, transaction_obj=tx), **fields,
        )
    except ValidationError as e:  # the card went away in between: nothing sent, token given back
        form_token_release(claim=claim)
        form.apply(e)
        return _charge_form(request, form, cards, status=400)
    say_outcome(request, payment, "charge")
    return redirect("payments:payment-detail", pk=payment.pk)


def _charge_form(request, form, cards, status=200):
    return render(request, "payments/eoneopay/charge_form.html", {"form": form, "cards": cards}, status=status)


def say_outcome(request, tx, what: str) -> None:
    if tx.status == "failed":
        messages.error(request, f"EoneoPay did not make the {what}: {tx.last_error}")
    elif tx.status == "unknown":
        messages.warning(request, f"EoneoPay did not confirm the {what} in time. It may or may not have gone "
                                  "through; it will not be sent again. It is flagged for you to check.")
    else:
        messages.success(request, f"EoneoPay approved the {what} ({tx.reference}).")


# -- API keys -------------------------------------------------------------------------------------
def _key_connection(request, connection_pk: int):
    connection = connection_get(merchant=request.merchant, pk=connection_pk)
    if connection.provider != "eoneopay":
        raise Http404("not an EoneoPay connection")
    return connection


@member_required(Role.OWNER)
def api_keys(request, connection_pk: int, *, new_key: str = "", status: int = 200):
    connection = _key_connection(request, connection_pk)
    return render(request, "payments/eoneopay/api_keys.html", {
        "connection": connection, "allowed": service.api_keys_allowed(connection),
        "keys": api_keys_for(connection=connection), "new_key": new_key,
    }, status=status)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.OWNER)
def api_key_create(request, connection_pk: int):
    connection = _key_connection(request, connection_pk)
    if not service.api_keys_allowed(connection):
        messages.error(request, "This connection has no admin key: add one to manage EoneoPay API keys.")
        return redirect("payments:eoneopay-api-keys", connection_pk=connection.pk)
    try:
        _, secret = service.api_key_create(connection=connection, actor=Actor.for_user(request.user))
    except service.EoneoPayError as e:
        messages.error(request, e.message)
        return redirect("payments:eoneopay-api-keys", connection_pk=connection.pk)
    # Shown once, in this answer only; never stored in clear, never in a redirect URL.
    response = api_keys(request, connection.pk, new_key=secret)
    response["Cache-Control"] = "no-store"
    return response


@transaction.non_atomic_requests
@require_POST
@member_required(Role.OWNER)
def api_key_check(request, pk: int):
    key = api_key_get(merchant=request.merchant, pk=pk)
    try:
        service.api_key_refresh(key=key)
    except service.EoneoPayError as e:
        messages.error(request, e.message)
    else:
        messages.info(request, f"EoneoPay says key {key.hint} is {key.status}"
                               f"{' (administrator)' if '+' in key.permissions else ''}.")
    return redirect("payments:eoneopay-api-keys", connection_pk=key.connection_id)


@transaction.non_atomic_requests
@require_POST
@member_required(Role.OWNER)
def api_key_revoke(request, pk: int):
    key = api_key_get(merchant=request.merchant, pk=pk)
    try:
        service.api_key_revoke(key=key, actor=Actor.for_user(request.user))
    except service.EoneoPayError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"Key {key.hint} revoked: it can no longer call EoneoPay.")
    return redirect("payments:eoneopay-api-keys", connection_pk=key.connection_id)


# -- shared helpers -----------------------------------------------------------------------------
class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows, columns, name: str) -> StreamingHttpResponse:
    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow([header for header, _ in columns])
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def filter_query(request) -> str:
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    return query.urlencode()
