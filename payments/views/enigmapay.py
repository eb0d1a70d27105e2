"""EnigmaPay desk pages: IBANs and balances, IBAN history, payouts (with a confirmation
step and a one-time form token), card payment links and the dealer settings.

Views that call EnigmaPay opt out of the request transaction
(``non_atomic_requests``): a payout's pending row must be committed before
send-money goes out, and no database transaction is held open while the provider is
slow. Every rule lives in ``payments.services``; these views parse, call and show."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import member_required
from payments.forms import DateRangeForm, PaymentLinkForm, PayoutForm
from payments.models import Kind
from payments.selectors import enigmapay_connections, iban_get, iban_snapshots, ibans_for, transaction_get
from payments.services.balances import available_balance, iban_history, ibans_refresh
from payments.services.common import Actor
from payments.services.idempotency import (
    form_token_bind,
    form_token_claim,
    form_token_issue,
    form_token_link,
    form_token_release,
)
from payments.services.links import dealer_settings_get, payment_link_create
from payments.services.payouts import payout_check_status, payout_create, payout_validate
from providers.base.errors import ProviderError
from providers.selectors import connection_get

PAYOUT_SCOPE = "form:payout"
PAYOUT_FIELDS = ("username", "customer_iban", "customer_name", "amount", "description")


def _detail(tx):
    return redirect("payments:transaction-detail", pk=tx.pk)


# -- IBANs and balances ----------------------------------------------------------------------
@transaction.non_atomic_requests
@member_required()
def iban_list(request):
    connections = list(enigmapay_connections(merchant=request.merchant))
    ibans = ibans_for(merchant=request.merchant)
    known = {i.connection_id for i in ibans}
    for connection in connections:
        if connection.pk not in known:  # first visit: read them once
            _refresh(request, connection)
    if len(known) < len(connections):
        ibans = ibans_for(merchant=request.merchant)
    return render(request, "payments/enigmapay/iban_list.html", {"connections": connections, "ibans": ibans})


@transaction.non_atomic_requests
@require_POST
@member_required()
def iban_refresh(request, connection_pk: int):
    connection = connection_get(merchant=request.merchant, pk=connection_pk)
    if connection.provider != "enigmapay":
        messages.error(request, "Only EnigmaPay connections have IBAN balances.")
    elif _refresh(request, connection):
        messages.success(request, "Balances are up to date (EnigmaPay refreshes them once a minute).")
    return redirect("payments:iban-list")


def _refresh(request, connection) -> bool:
    try:
        ibans_refresh(connection=connection)
    except ProviderError as e:
        messages.error(request, f"Could not read the IBANs from EnigmaPay: {e.message}")
        return False
    return True


@transaction.non_atomic_requests
@member_required()
def iban_detail(request, pk: int):
    iban = iban_get(merchant=request.merchant, pk=pk)
    form = DateRangeForm(request.GET or None)
    history, error = None, None
    if form.is_valid() or not request.GET:
        if not request.GET:
            form = DateRangeForm({})
            form.is_valid()
        start, end = form.range()
        try:
            history = iban_history(iban=iban, start=start, end=end)
        except ProviderError as e:
            error = f"Could not read the history from EnigmaPay: {e.message}"
    return render(request, "payments/enigmapay/iban_detail.html", {
        "iban": iban, "form": form, "history": history, "error": error, "snapshots": iban_snapshots(iban=iban),
    })


# -- payouts ---------------------------------------------------------------------------------
def _no_enigmapay(request, what: str):
    return render(request, "payments/enigmapay/no_connection.html", {"what": what}, status=200)


@member_required(Role.MANAGER)
def payout_new(request):
    connections = enigmapay_connections(merchant=request.merchant)
    if not connections.exists():
        return _no_enigmapay(request, "send payouts")
    token = form_token_issue(merchant=request.merchant, scope=PAYOUT_SCOPE)
    form = PayoutForm(connections=connections, initial={"token": token})
    return _payout_form(request, form)


def _payout_form(request, form, status=200):
    connection = form.cleaned_data.get("connection") if form.is_bound and hasattr(form, "cleaned_data") else None
    connection = connection or form.fields["connection"].queryset.first()
    return render(request, "payments/enigmapay/payout_form.html", {
        "form": form, "limit": available_balance(connection=connection) if connection else None,
    }, status=status)


@require_POST
@member_required(Role.MANAGER)
def payout_confirm(request):
    connections = enigmapay_connections(merchant=request.merchant)
    form = PayoutForm(request.POST, connections=connections)
    if not form.is_valid():
        return _payout_form(request, form, status=400)
    connection = form.cleaned_data["connection"]
    try:
        clean = payout_validate(connection=connection, **{f: form.cleaned_data[f] for f in PAYOUT_FIELDS})
    except ValidationError as e:
        form.apply(e)
        return _payout_form(request, form, status=400)
    details = _details(connection, clean)
    token = form.cleaned_data["token"]
    bound = form_token_bind(merchant=request.merchant, token=token, scope=PAYOUT_SCOPE, details=details)
    if not bound.won:  # a reload or a resubmit after the send: the token has been used
        return _token_used(request, bound)
    return render(request, "payments/enigmapay/payout_confirm.html", {
        "connection": connection, "payout": clean, "token": token, "details": details,
    })


def _token_used(request, claim):
    if claim.already is not None:
        messages.info(request, "This payout was already sent; here it is. Nothing was sent twice.")
        return _detail(claim.already)
    if claim.in_flight:
        messages.info(request, "This payout is being sent right now; it will appear in the list.")
        return redirect("payments:transaction-list")
    messages.error(request, "This payout form has expired or was changed. Please enter the payout again.")
    return redirect("payments:payout-new")


def _details(connection, clean: dict) -> dict:
    """Exactly what the confirmation page shows and the send step sends."""
    return {"connection": str(connection.pk), **{f: str(clean[f]) for f in PAYOUT_FIELDS}}


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def payout_send(request):
    details = {f: request.POST.get(f, "") for f in ("connection", *PAYOUT_FIELDS)}
    token = request.POST.get("token", "")
    connections = enigmapay_connections(merchant=request.merchant)
    connection = connections.filter(pk=details["connection"]).first() if details["connection"].isdigit() else None
    if connection is None:
        messages.error(request, "This payout form has expired or was changed. Please enter the payout again.")
        return redirect("payments:payout-new")
    try:  # checked before the token is spent: a balance that moved leaves the token usable
        payout_validate(connection=connection, **{f: details[f] for f in PAYOUT_FIELDS})
    except ValidationError as e:
        return _payout_form_again(request, details, token, e)
    claim = form_token_claim(merchant=request.merchant, token=token, scope=PAYOUT_SCOPE, details=details)
    if not claim.won:
        return _token_used(request, claim)
    try:
        payout = payout_create(
            connection=connection, actor=Actor.for_user(request.user),
            on_created=lambda tx: form_token_link(claim=claim, transaction_obj=tx),
            **{f: details[f] for f in PAYOUT_FIELDS},
        )
    except ValidationError as e:  # the balance moved in between: nothing sent, token given back
        form_token_release(claim=claim)
        return _payout_form_again(request, details, token, e)
    _say_outcome(request, payout)
    return _detail(payout)


def _payout_form_again(request, details: dict, token: str, error: ValidationError):
    form = PayoutForm({**details, "token": token}, connections=enigmapay_connections(merchant=request.merchant))
    form.is_valid()
    form.apply(error)
    return _payout_form(request, form, status=400)


def _say_outcome(request, payout) -> None:
    if payout.status == "failed":
        messages.error(request, f"EnigmaPay did not make the payout: {payout.last_error}")
    elif payout.status == "unknown":
        messages.warning(request, "EnigmaPay did not confirm the payout in time. We are checking with EnigmaPay; "
                                  "it will not be sent again.")
    else:
        messages.success(request, f"Payout {payout.reference} sent to EnigmaPay.")


@transaction.non_atomic_requests
@require_POST
@member_required(Role.MANAGER)
def payout_check(request, pk: int):
    payout = transaction_get(merchant=request.merchant, pk=pk)
    if payout.kind != Kind.PAYOUT:
        messages.error(request, "Only payouts have a status check here.")
        return _detail(payout)
    try:
        payout_check_status(payout=payout, actor=Actor.for_user(request.user))
    except ProviderError as e:
        messages.error(request, f"EnigmaPay could not be asked right now: {e.message} Paydesk will try again.")
    else:
        messages.info(request, f"EnigmaPay says: {payout.get_status_display().lower()}"
                               f"{f' ({payout.raw_status})' if payout.raw_status else ''}.")
    return _detail(payout)


# -- payment links ---------------------------------------------------------------------------
@transaction.non_atomic_requests
@member_required(Role.MANAGER)
def link_new(request):
    connections = enigmapay_connections(merchant=request.merchant)
    if not connections.exists():
        return _no_enigmapay(request, "create card payment links")
    form = PaymentLinkForm(request.POST or None, connections=connections)
    if request.method == "POST" and form.is_valid():
        connection = form.cleaned_data["connection"]
        fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f != "connection"}
        try:
            link = payment_link_create(connection=connection, actor=Actor.for_user(request.user), **fields)
        except ValidationError as e:
            form.apply(e)
        except ProviderError as e:  # the card method is off, or the settings could not be read
            messages.error(request, e.message)
        else:
            if link.status == "failed":
                messages.error(request, f"EnigmaPay did not create the link: {link.last_error}")
            else:
                messages.success(request, "Payment link created: copy it and send it to your customer.")
            return _detail(link)
    connection = form.fields["connection"].queryset.first()
    return render(request, "payments/enigmapay/link_form.html", {
        "form": form, "card_active": _card_active(connection),
    }, status=400 if form.is_bound else 200)


def _card_active(connection) -> bool | None:
    """Whether the dealer settings say card payments are on (None: could not ask)."""
    try:
        return dealer_settings_get(connection=connection).credit_card.active
    except ProviderError:
        return None


@transaction.non_atomic_requests
@member_required()
def dealer_settings(request):
    rows = []
    for connection in enigmapay_connections(merchant=request.merchant):
        try:
            rows.append((connection, dealer_settings_get(connection=connection, fresh="fresh" in request.GET), None))
        except ProviderError as e:
            rows.append((connection, None, e.message))
    return render(request, "payments/enigmapay/dealer_settings.html", {"rows": rows})
