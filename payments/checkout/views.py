"""The customer's installment checkout of a merchant's Vospay order.

``/me/<slug>/checkout/<token>/`` shows the order to anyone with the link (the
unguessable token is the key; no merchant data, no other order) and, once paid, the
contract. The steps behind it need a customer signed in with Vospay at this merchant
(``customer_required``; a signed-out customer signs in and comes back):

    account/  pick the Vospay account (GET /accounts on the customer's phone), POST →
              authorize-transaction with the order's stored items and costs
    plan/     the plans Vospay offered (rate, months, monthly payment), POST → a
              transaction OTP, counted by Paydesk's OTP guard
    confirm/  the code, POST → the code is counted, exchanged for Vospay's confirmation,
              and ``vospay_order_finalize`` sends finalize once, then verifies

What the customer picked waits in the session, encrypted, per order token, and only for
the customer who picked it. Amounts never come from a form: the order's gross amount is
fixed when the link is made, authorize must come back with it, and finalize is refused
(before any call) when it changed. The link must not leak through a Referer or a search
engine: every page says ``same-origin`` (not ``no-referrer``: with it, Chromium posts forms
with ``Origin: null`` and CSRF refuses them) and ``noindex``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Merchant
from accounts.selfservice import forms as ss_forms
from accounts.selfservice import sessions
from accounts.selfservice.otp_guard import OtpBlocked, otp_attempt, otp_passed, otp_tries_left
from accounts.selfservice.views.common import (
    blocked_sentence,
    error_status,
    provider_problem,
    selfservice_view,
    send_code,
)
from accounts.selfservice.views.common import client_ip as client_address
from payments.models import Status, VospayOrder
from payments.services.common import Actor
from payments.services.vospay import (
    CheckoutRefused,
    vospay_checkout_expires_at,
    vospay_checkout_refusal,
    vospay_order_authorized,
    vospay_order_finalize,
)
from providers import crypto
from providers.base.errors import ProviderAuthenticationError, ProviderError
from providers.base.money import Money
from providers.base.redaction import mask_phone
from providers.services import client_for
from providers.vospay.errors import AccountLocked, CreditLimited
from providers.vospay.types import InstallmentPlan, OrderItem

PROVIDER = "vospay"
FLOW = "vospay_checkout"
STATE_KEY = "checkout"

SENTENCES = {
    "accounts_not_found": "Vospay has no account on your phone number. Activate one first, then come back.",
    "account_or_merchant_not_found": "Vospay does not offer this account for this shop. Choose another account.",
    "order_invalid": "Vospay refused this order's amounts. Nothing was charged; contact the shop.",
    "otp_refused": "Vospay could not send a confirmation code for this purchase. Nothing was charged; try again.",
    "sign_in_failed": "That code is not right.",
    "installment_invalid": "Vospay no longer offers this plan for this order. Choose a plan again.",
    "transaction_not_found": "Vospay no longer knows this checkout. Choose your account again; nothing was charged.",
    "access_token_rejected": "Vospay did not accept the confirmation. Ask for a new code and try again.",
}


# -- the order, the state ---------------------------------------------------------------------
def _order(merchant_slug: str, token: str) -> VospayOrder:
    if not token or len(token) > 64:
        raise Http404("No such order.")
    merchant = Merchant.objects.filter(slug=merchant_slug).first()
    order = (VospayOrder.objects.select_related("transaction", "transaction__merchant", "transaction__connection")
             .filter(checkout_token=token, transaction__merchant=merchant).first()) if merchant else None
    if order is None:
        raise Http404("No such order.")
    return order


def _state(request, detail: VospayOrder) -> dict:
    """What this customer picked for this order so far ({} if nothing, or another customer)."""
    sealed = (request.session.get(STATE_KEY) or {}).get(detail.checkout_token)
    if not sealed:
        return {}
    state = crypto.decrypt_json(sealed)
    if state.get("customer") != request.customer.customer.pk:
        return {}
    return state


def _save(request, detail: VospayOrder, state: dict | None) -> None:
    states = request.session.get(STATE_KEY) or {}
    if state is None:
        states.pop(detail.checkout_token, None)
    else:
        states[detail.checkout_token] = crypto.encrypt_json({**state, "customer": request.customer.customer.pk})
    request.session[STATE_KEY] = states


def _plans(state: dict) -> list[InstallmentPlan]:
    return [InstallmentPlan(p["id"], p["period"], Decimal(p["rate"]), Money(Decimal(p["monthly"]), "IDR"))
            for p in state.get("plans", [])]


def _plan(state: dict) -> InstallmentPlan | None:
    return next((p for p in _plans(state) if p.installment_id == state.get("plan")), None)


def _url(detail: VospayOrder, step: str = "") -> str:
    name = f"checkout:{step}" if step else "checkout:order"
    return reverse(name, kwargs={"merchant_slug": detail.transaction.merchant.slug, "token": detail.checkout_token})


def _posted(request):
    return request.POST if request.method == "POST" else None


def _private(response):
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(request, detail: VospayOrder, template: str, context: dict | None = None, *, status: int = 200):
    merchant = detail.transaction.merchant
    base = {"merchant": merchant, "slug": merchant.slug, "customer": getattr(request, "customer", None),
            "order": detail, "transaction": detail.transaction, "items": list(detail.items.all()),
            "expires_at": vospay_checkout_expires_at(detail.transaction), "order_url": _url(detail)}
    return _private(render(request, f"payments/checkout/{template}", {**base, **(context or {})}, status=status))


def _refused(request, detail: VospayOrder, refusal: CheckoutRefused):
    return _page(request, detail, "refused.html", {"refusal": refusal}, status=409)


def _actor(request) -> Actor:
    return Actor(Actor.system().source, f"customer {mask_phone(request.customer.customer.phone)} at checkout")


def checkout_step(view):
    """A step: signed in with Vospay at the URL's merchant, the order of the token, and the
    order still payable (else the refusal, before any call)."""

    @selfservice_view(PROVIDER, signed_in=True)
    @wraps(view)
    def wrapper(request, merchant_slug: str, token: str):
        detail = _order(merchant_slug, token)
        refusal = vospay_checkout_refusal(detail.transaction, detail)
        if refusal is not None:
            _save(request, detail, None)
            return _refused(request, detail, refusal)
        return view(request, detail)

    return wrapper


def _session_ended(request, detail: VospayOrder):
    """Vospay refused the customer's token: sign in again and come back to the checkout."""
    sessions.customer_sign_out(request=request, merchant=detail.transaction.merchant, provider=PROVIDER)
    return redirect(sessions.sign_in_url(detail.transaction.merchant, PROVIDER, _url(detail, "account")))


# -- the order page (public) ------------------------------------------------------------------
@selfservice_view()
def checkout_order(request, merchant_slug: str, token: str):
    detail = _order(merchant_slug, token)
    request.customer = sessions.customer_get(request=request, merchant=detail.transaction.merchant,
                                             provider=PROVIDER)
    return _page(request, detail, "order.html", {
        "refusal": vospay_checkout_refusal(detail.transaction, detail), "unknown": detail.transaction.status
        == Status.UNKNOWN, "start_url": _url(detail, "account"),
    })


# -- 1. the account -----------------------------------------------------------------------------
class AccountForm(forms.Form):
    account = forms.ChoiceField(label="Pay with", widget=forms.RadioSelect,
                                error_messages={"required": "Choose the account to pay with.",
                                                "invalid_choice": "Choose one of your accounts."})

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [
            (str(n), f"{a.multifinance.name} · account ending {a.vospay_number[-4:]}") for n, a in enumerate(accounts)]


@checkout_step
def checkout_account(request, detail: VospayOrder):
    order = detail.transaction
    vospay = client_for(order.connection)
    token = sessions.customer_token(request)
    try:
        found = vospay.accounts(access_token=token, phone=request.customer.customer.phone).accounts
    except ProviderAuthenticationError:
        return _session_ended(request, detail)
    except ProviderError as e:
        return _page(request, detail, "problem.html", {"problem": provider_problem(e, SENTENCES),
                                                       "retry_url": _url(detail, "account")}, status=error_status(e))
    form = AccountForm(_posted(request), accounts=found,
                       initial={"account": "0"} if len(found) == 1 else None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, detail, "account.html", {"form": form},
                     status=200 if request.method != "POST" else 400)
    account = found[int(form.cleaned_data["account"])]
    try:
        authorized = vospay.authorize_transaction(
            access_token=token, vospay_number=account.vospay_number, order_id=order.reference,
            items=[OrderItem(i.name, i.quantity, Money(i.unit_price, "IDR")) for i in detail.items.all()],
            shipping_cost=Money(detail.shipping_cost, "IDR"), insurance_cost=Money(detail.insurance_cost, "IDR"),
            processing_fee=Money(detail.processing_fee, "IDR"), tax=Money(detail.tax, "IDR"),
            merchant_key=detail.merchant_key,
        )
    except ProviderAuthenticationError:
        return _session_ended(request, detail)
    except ProviderError as e:
        return _page(request, detail, "account.html", {"form": form, "problem": provider_problem(e, SENTENCES)},
                     status=error_status(e))
    if authorized.gross_amount != Money(order.amount, "IDR") or not authorized.installment_plans:
        return _refused(request, detail, CheckoutRefused(
            "changed", "Vospay's total for this order is not the order's amount, so nothing can be paid. "
                       "Contact the shop; nothing was charged."))
    vospay_order_authorized(order=order, transaction_id=authorized.transaction_id, actor=_actor(request))
    mfc = account.multifinance
    _save(request, detail, {
        "transaction_id": authorized.transaction_id, "gross": str(order.amount),
        "account_end": account.vospay_number[-4:], "mfc": {"name": mfc.name, "phone": mfc.phone, "email": mfc.email},
        "available": str(authorized.available_credit.amount), "limit": str(authorized.credit_limit.amount),
        "plans": [{"id": p.installment_id, "period": p.period, "rate": str(p.rate),
                   "monthly": str(p.monthly_payment.amount)} for p in authorized.installment_plans],
    })
    return redirect(_url(detail, "plan"))


# -- 2. the plan ----------------------------------------------------------------------------------
class PlanForm(forms.Form):
    plan = forms.ChoiceField(label="Pay over", widget=forms.RadioSelect,
                             error_messages={"required": "Choose how many months to pay over.",
                                             "invalid_choice": "Choose one of the plans shown."})

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.plans = list(plans)
        self.fields["plan"].choices = [(p.installment_id, f"{p.period} months") for p in self.plans]


def _plan_rows(form: PlanForm, state: dict) -> list[dict]:
    gross = Decimal(state["gross"])
    chosen = form["plan"].value() if form.is_bound else state.get("plan")
    return [{"plan": p, "percent": (p.rate * 100).normalize(), "total": p.monthly_payment.amount * p.period,
             "interest": gross * p.rate, "checked": str(chosen) == p.installment_id} for p in form.plans]


@checkout_step
def checkout_plan(request, detail: VospayOrder):
    state = _state(request, detail)
    if not state.get("plans"):
        return redirect(_url(detail, "account"))
    form = PlanForm(_posted(request), plans=_plans(state))
    context = {"form": form, "state": state}
    if request.method != "POST" or not form.is_valid():
        return _page(request, detail, "plan.html", {**context, "rows": _plan_rows(form, state)},
                     status=200 if request.method != "POST" else 400)
    state["plan"] = form.cleaned_data["plan"]
    if state.get("challenge") and state.get("code_live"):
        _save(request, detail, state)  # a code is already on its way: a new plan needs no new SMS
        return redirect(_url(detail, "confirm"))
    try:
        challenge = _send_code(request, detail)
    except OtpBlocked as e:
        return _page(request, detail, "plan.html", {**context, "rows": _plan_rows(form, state),
                                                    "problem": blocked_sentence(e)}, status=429)
    except ProviderError as e:
        return _page(request, detail, "plan.html", {**context, "rows": _plan_rows(form, state),
                                                    "problem": provider_problem(e, SENTENCES)},
                     status=error_status(e))
    _save(request, detail, {**state, "challenge": challenge.pk, "code_live": True})
    return redirect(_url(detail, "confirm"))


def _send_code(request, detail: VospayOrder):
    order = detail.transaction
    phone = request.customer.customer.phone
    vospay = client_for(order.connection)
    challenge, _ = send_code(request, flow=FLOW, phone=phone, send=lambda: vospay.send_otp(
        phone=phone, action="transaction", gross_amount=Money(order.amount, "IDR"),
        merchant_key=detail.merchant_key))
    return challenge


# -- 3. the code, and finalize ---------------------------------------------------------------------
def _confirm_page(request, detail, state, form, *, problem: str = "", status: int = 200):
    plan = _plan(state)
    return _page(request, detail, "confirm.html", {
        "form": form, "state": state, "plan": plan, "problem": problem, "phone": request.customer.customer.phone,
        "total": plan.monthly_payment.amount * plan.period if plan else None,
    }, status=status)


@checkout_step
def checkout_confirm(request, detail: VospayOrder):
    state = _state(request, detail)
    plan = _plan(state)
    if plan is None or not state.get("challenge"):
        return redirect(_url(detail, "plan" if state.get("plans") else "account"))
    form = ss_forms.OtpForm(_posted(request))
    if request.method != "POST" or not form.is_valid():
        return _confirm_page(request, detail, state, form, status=200 if request.method != "POST" else 400)
    merchant, phone = detail.transaction.merchant, request.customer.customer.phone
    try:
        challenge = otp_attempt(merchant=merchant, challenge_id=state["challenge"], flow=FLOW, phone=phone,
                                client_ip=client_address(request))
    except OtpBlocked as e:
        return _confirm_page(request, detail, state, form, problem=blocked_sentence(e), status=429)
    vospay = client_for(detail.transaction.connection)
    try:
        confirmation = vospay.create_access_token(strategy="otp", phone=phone, code=form.cleaned_data["code"])
    except ProviderError as e:
        problem = provider_problem(e, SENTENCES)
        if e.code == "sign_in_failed":
            left = otp_tries_left(challenge)
            problem += f" {left} {'try' if left == 1 else 'tries'} left." if left else " Ask for a new code."
        return _confirm_page(request, detail, state, form, problem=problem, status=error_status(e))
    otp_passed(challenge=challenge)
    state["code_live"] = False
    _save(request, detail, state)
    try:
        order = vospay_order_finalize(order=detail.transaction, transaction_id=state["transaction_id"], plan=plan,
                                      gross=Money(Decimal(state["gross"]), "IDR"), confirmation=confirmation.token,
                                      actor=_actor(request))
    except CheckoutRefused as e:
        _save(request, detail, None)
        return _refused(request, detail, e)
    except AccountLocked:
        return _page(request, detail, "declined.html", {"locked": True, "state": state}, status=402)
    except CreditLimited:
        return _page(request, detail, "declined.html", {"limited": True, "state": state}, status=402)
    except ProviderAuthenticationError as e:
        return _confirm_page(request, detail, state, ss_forms.OtpForm(), problem=provider_problem(e, SENTENCES),
                             status=200)
    except ProviderError as e:
        if e.code in ("installment_invalid", "transaction_not_found"):
            state.pop("plans" if e.code == "transaction_not_found" else "plan", None)
            _save(request, detail, state)
        return _page(request, detail, "problem.html", {
            "problem": provider_problem(e, SENTENCES),
            "retry_url": _url(detail, "plan" if e.code == "installment_invalid" else "confirm"
                              if e.code != "transaction_not_found" else "account"),
        }, status=200)  # the session (the spent code) must be saved: not a 5xx
    _save(request, detail, None)
    if order.status == Status.UNKNOWN:
        return redirect(_url(detail))  # the order page says Paydesk is checking with Vospay
    return redirect(_url(detail) + "?paid=1")


@require_POST
@checkout_step
def checkout_resend(request, detail: VospayOrder):
    state = _state(request, detail)
    if _plan(state) is None:
        return redirect(_url(detail, "plan"))
    try:
        challenge = _send_code(request, detail)
    except OtpBlocked as e:
        return _confirm_page(request, detail, state, ss_forms.OtpForm(), problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        return _confirm_page(request, detail, state, ss_forms.OtpForm(), problem=provider_problem(e, SENTENCES),
                             status=error_status(e))
    _save(request, detail, {**state, "challenge": challenge.pk, "code_live": True})
    return redirect(_url(detail, "confirm"))
