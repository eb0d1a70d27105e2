"""Vospay BNPL accounts (Indonesia): activation (MFC code, NIK, phone, birth date → OTP →
access token → activate, then registration if the customer has no access code yet),
sign-in with phone + OTP or with e-mail / phone + access code, the profile (accounts,
credit, multifinance), change access code, and the contracts with their schedule.

The NIK and birth date wait for the OTP in the session, encrypted, and are dropped once
the activation is done. The access token lives only in the customer's session
(``sessions``); the checkout reuses it through ``customer_required("vospay")``.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.phones import InvalidPhone, phone_to_e164
from accounts.selfservice import contracts as schedules
from accounts.selfservice import forms, sessions
from accounts.selfservice.otp_guard import OtpBlocked, otp_attempt, otp_passed, otp_tries_left, sign_in_attempt
from accounts.selfservice.views.common import (
    blocked_sentence,
    client,
    client_ip,
    error_status,
    not_found,
    page,
    provider_problem,
    selfservice_view,
    send_code,
)
from providers.base.errors import (
    ProviderAuthenticationError,
    ProviderError,
    ProviderInvalidResponse,
    ProviderUnavailable,
)

PROVIDER = "vospay"
CODE_FLOWS = ("vospay_activation", "vospay_signin")
PAGE_SIZE = 10

SENTENCES = {
    "otp_refused": "Vospay could not send a code to this number: it is not registered with Vospay or is not "
                   "valid. Use the number your multifinance company has.",
    "sign_in_failed": "That code is not right.",
    "activation_mismatch": "These details do not match an account offered by the multifinance company. "
                           "Check the MFC code, NIK, phone number and date of birth.",
    "activation_incomplete": "Vospay refused the activation as incomplete. Check every field and try again.",
    "access_token_rejected": "Your Vospay session has ended. Sign in again to continue.",
    "accounts_not_found": "Vospay has no account on this phone number yet.",
    "account_not_found": "Vospay has no registered account for you, so nothing was changed.",
    "access_code_invalid": "Vospay refused this access code. Use at least 6 characters.",
    "registration_invalid": "Vospay refused the registration: check the e-mail and access code.",
}
ACCESS_CODE_SENTENCES = {**SENTENCES, "sign_in_failed": "The e-mail or phone number and access code do not match."}


def _url(request, name: str, **kwargs) -> str:
    return reverse(f"selfservice:vospay-{name}", kwargs={"merchant_slug": request.merchant_page.slug, **kwargs})


def _form_page(request, template: str, form, *, problem: str = "", status: int = 200, **context):
    return page(request, f"vospay/{template}", {"form": form, "problem": problem, **context}, status=status)


def _first_status(request) -> int:
    return 200 if request.method != "POST" else 400


def _next(request) -> str | None:
    return sessions.safe_next(request, request.merchant_page, request.POST.get("next") or request.GET.get("next"))


def _send_otp(request, phone: str):
    return lambda: client(request).send_otp(phone=phone, action="activation")


# -- activation -----------------------------------------------------------------------------
@selfservice_view(PROVIDER)
def activate(request, merchant_slug: str):
    form = forms.VospayActivationForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "activate.html", form, status=_first_status(request))
    data = form.cleaned_data
    try:
        challenge, _ = send_code(request, flow="vospay_activation", phone=data["phone"],
                                 send=_send_otp(request, data["phone"]))
    except OtpBlocked as e:
        return _form_page(request, "activate.html", form, problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        return _form_page(request, "activate.html", form, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    sessions.flow_start(request=request, merchant=request.merchant_page, flow="vospay_activation",
                        phone=data["phone"], challenge_id=challenge.pk,
                        secret={"mfc_code": data["mfc_code"], "nik": data["nik"],
                                "date_of_birth": data["date_of_birth"].isoformat()})
    return redirect(_url(request, "verify"))


@selfservice_view(PROVIDER)
def signin(request, merchant_slug: str):
    form = forms.VospaySignInForm(request.POST or None)
    next_path = _next(request)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "signin.html", form, next=next_path, status=_first_status(request))
    phone = form.cleaned_data["phone"]
    try:
        challenge, _ = send_code(request, flow="vospay_signin", phone=phone, send=_send_otp(request, phone))
    except OtpBlocked as e:
        return _form_page(request, "signin.html", form, next=next_path, problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        return _form_page(request, "signin.html", form, next=next_path, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    sessions.flow_start(request=request, merchant=request.merchant_page, flow="vospay_signin", phone=phone,
                        challenge_id=challenge.pk, next=next_path)
    return redirect(_url(request, "verify"))


@selfservice_view(PROVIDER)
def signin_code(request, merchant_slug: str):
    form = forms.VospayCodeSignInForm(request.POST or None)
    next_path = _next(request)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "signin_code.html", form, next=next_path, status=_first_status(request))
    data = form.cleaned_data
    strategy = data["strategy"]
    login = data["login"]
    try:
        sign_in_attempt(merchant=request.merchant_page, login=login, client_ip=client_ip(request))
        token = client(request).create_access_token(
            strategy=strategy, password=data["access_code"],
            **({"email": login} if strategy == "email" else {"phone": login}))
    except OtpBlocked as e:
        return _form_page(request, "signin_code.html", form, next=next_path, problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        return _form_page(request, "signin_code.html", form, next=next_path,
                          problem=provider_problem(e, ACCESS_CODE_SENTENCES), status=error_status(e))
    return _signed_in(request, token.token, phone=login if strategy == "phone" else None, next_path=next_path)


def _signed_in(request, token: str, *, phone: str | None, next_path: str | None):
    """Sign the customer in with ``token``: the profile gives the name (and, after an
    e-mail sign-in, the phone)."""
    try:
        profile = client(request).profile(access_token=token)
    except ProviderError as e:
        if phone is None:  # an e-mail sign-in: without the profile we do not know who this is
            messages.error(request, provider_problem(e, SENTENCES))
            return redirect(_url(request, "signin-code"))
        profile = None  # signed in all the same; the profile page reads it again
    if profile is None:
        sessions.customer_sign_in(request=request, merchant=request.merchant_page, provider=PROVIDER, phone=phone,
                                  name="", token=token)
        return redirect(next_path or _url(request, "profile"))
    if phone is None:
        phone = _profile_phone(profile)
    if phone is None:
        messages.error(request, "Your Vospay profile has no phone number we can use. Sign in with your phone.")
        return redirect(_url(request, "signin"))
    sessions.customer_sign_in(request=request, merchant=request.merchant_page, provider=PROVIDER, phone=phone,
                              name=profile.full_name, token=token)
    messages.success(request, f"Welcome, {profile.full_name}.")
    return redirect(next_path or _url(request, "profile"))


def _profile_phone(profile) -> str | None:
    for account in profile.accounts:
        try:
            return phone_to_e164(account.phone, country="ID")
        except InvalidPhone:
            continue
    return None


# -- the code -----------------------------------------------------------------------------
def _verify_page(request, state, form, *, problem: str = "", status: int = 200, can_resend: bool = False):
    return _form_page(request, "verify.html", form, problem=problem, status=status, phone=state["phone"],
                      flow=state["flow"], can_resend=can_resend)


@selfservice_view(PROVIDER)
def verify(request, merchant_slug: str):
    merchant = request.merchant_page
    state = sessions.flow_get(request=request, merchant=merchant, flows=CODE_FLOWS)
    if state is None:
        messages.info(request, "Start again: enter your number to get a new code.")
        return redirect(_url(request, "signin"))
    form = forms.OtpForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _verify_page(request, state, form, status=_first_status(request))
    phone = state["phone"]
    try:
        challenge = otp_attempt(merchant=merchant, challenge_id=state["challenge"], flow=state["flow"], phone=phone,
                                client_ip=client_ip(request))
    except OtpBlocked as e:
        return _verify_page(request, state, form, problem=blocked_sentence(e), status=429, can_resend=True)
    try:
        token = client(request).create_access_token(strategy="otp", phone=phone, code=form.cleaned_data["code"])
    except ProviderError as e:
        problem = provider_problem(e, SENTENCES)
        if e.code == "sign_in_failed":
            left = otp_tries_left(challenge)
            problem += f" {left} {'try' if left == 1 else 'tries'} left." if left else " Ask for a new code."
        return _verify_page(request, state, form, problem=problem, status=error_status(e), can_resend=True)
    otp_passed(challenge=challenge)
    if state["flow"] == "vospay_signin":
        sessions.flow_end(request=request, merchant=merchant)
        return _signed_in(request, token.token, phone=phone, next_path=state["public"].get("next"))
    return _activate(request, state, token.token)


def _activate(request, state, token: str):
    merchant, secret = request.merchant_page, state["secret"]
    vospay = client(request)
    try:
        activation = vospay.activate_account(access_token=token, mfc_code=secret["mfc_code"], nik=secret["nik"],
                                             phone=state["phone"],
                                             date_of_birth=date.fromisoformat(secret["date_of_birth"]))
    except (ProviderUnavailable, ProviderInvalidResponse) as e:
        # The code is spent but the token is good: keep it, so "try again" needs no new code.
        sessions.flow_update(request=request, merchant=merchant, flow="vospay_activation_retry",
                             secret={**secret, "token": token})
        # 200, not 503: Django does not save the session of a 5xx answer, and this one must be.
        return page(request, "vospay/activate_retry.html", {"problem": provider_problem(e, SENTENCES)})
    except ProviderError as e:
        sessions.flow_end(request=request, merchant=merchant)
        form = forms.VospayActivationForm(initial={
            "mfc_code": secret["mfc_code"], "nik": secret["nik"], "phone": state["phone"],
            "date_of_birth": secret["date_of_birth"]})
        return _form_page(request, "activate.html", form, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    if activation.has_registered:
        sessions.flow_end(request=request, merchant=merchant)
        messages.success(request, "Your Vospay account is activated.")
        return _signed_in(request, token, phone=state["phone"], next_path=None)
    sessions.flow_update(request=request, merchant=merchant, flow="vospay_register",
                         secret={"token": token, "mfc_code": secret["mfc_code"]})
    return redirect(_url(request, "register"))


@require_POST
@selfservice_view(PROVIDER)
def activate_retry(request, merchant_slug: str):
    state = sessions.flow_get(request=request, merchant=request.merchant_page, flows=("vospay_activation_retry",))
    if state is None:
        return redirect(_url(request, "activate"))
    return _activate(request, state, state["secret"]["token"])


@require_POST
@selfservice_view(PROVIDER)
def resend(request, merchant_slug: str):
    merchant = request.merchant_page
    state = sessions.flow_get(request=request, merchant=merchant, flows=CODE_FLOWS)
    if state is None:
        return redirect(_url(request, "signin"))
    try:
        challenge, _ = send_code(request, flow=state["flow"], phone=state["phone"],
                                 send=_send_otp(request, state["phone"]))
    except OtpBlocked as e:
        return _verify_page(request, state, forms.OtpForm(), problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        return _verify_page(request, state, forms.OtpForm(), problem=provider_problem(e, SENTENCES),
                            status=error_status(e), can_resend=True)
    sessions.flow_update(request=request, merchant=merchant, challenge=challenge.pk)
    messages.success(request, "A new code is on its way.")
    return redirect(_url(request, "verify"))


@selfservice_view(PROVIDER)
def register(request, merchant_slug: str):
    merchant = request.merchant_page
    state = sessions.flow_get(request=request, merchant=merchant, flows=("vospay_register",))
    if state is None:
        return redirect(_url(request, "activate"))
    form = forms.VospayRegisterForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "register.html", form, status=_first_status(request))
    token, mfc_code = state["secret"]["token"], state["secret"]["mfc_code"]
    vospay = client(request)
    try:
        found = vospay.accounts(access_token=token, phone=state["phone"])
        numbers = [a.vospay_number for a in found.accounts]
        number = next((n for n in numbers if n.startswith(mfc_code)), numbers[0] if numbers else "")
        vospay.register_account(access_token=token, vospay_number=number, password=form.cleaned_data["access_code"],
                                email=form.cleaned_data["email"])
    except ProviderError as e:
        if isinstance(e, ProviderAuthenticationError):
            sessions.flow_end(request=request, merchant=merchant)
        return _form_page(request, "register.html", form, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    sessions.flow_end(request=request, merchant=merchant)
    messages.success(request, "Your Vospay account is activated and registered.")
    return _signed_in(request, token, phone=state["phone"], next_path=None)


# -- signed in ------------------------------------------------------------------------------
def _session_ended(request):
    sessions.customer_sign_out(request=request, merchant=request.merchant_page, provider=PROVIDER)
    messages.error(request, SENTENCES["access_token_rejected"])
    return redirect(sessions.sign_in_url(request.merchant_page, PROVIDER, request.get_full_path()))


def _read(request, template: str, read):
    """Call ``read(client, token)``; a rejected session signs the customer out."""
    try:
        return read(client(request), request.customer.token), None
    except ProviderAuthenticationError:
        return None, _session_ended(request)
    except ProviderError as e:
        return None, page(request, f"vospay/{template}", {"problem": provider_problem(e, SENTENCES)},
                          status=error_status(e))


@selfservice_view(PROVIDER, signed_in=True)
def profile(request, merchant_slug: str):
    result, failed = _read(request, "profile.html", lambda c, t: c.profile(access_token=t))
    return failed or page(request, "vospay/profile.html", {"profile": result, "customer": request.customer})


@selfservice_view(PROVIDER, signed_in=True)
def access_code(request, merchant_slug: str):
    form = forms.VospayAccessCodeForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "access_code.html", form, status=_first_status(request))
    try:
        client(request).change_access_code(access_token=request.customer.token,
                                           new_access_code=form.cleaned_data["access_code"])
    except ProviderAuthenticationError:
        return _session_ended(request)
    except ProviderError as e:
        return _form_page(request, "access_code.html", form, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    messages.success(request, "Your access code has been changed.")
    return redirect(_url(request, "profile"))


def _page_number(request) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


@selfservice_view(PROVIDER, signed_in=True)
def contract_list(request, merchant_slug: str):
    number = _page_number(request)
    result, failed = _read(request, "contracts.html", lambda c, t: c.contracts(
        access_token=t, limit=PAGE_SIZE, skip=(number - 1) * PAGE_SIZE))
    if failed:
        return failed
    return page(request, "vospay/contracts.html", {
        "contracts": result.contracts, "total": result.total, "page_number": number,
        "has_next": number * PAGE_SIZE < result.total, "has_previous": number > 1,
        "previous_page": number - 1, "next_page": number + 1,
    })


def _find_contract(vospay, token: str, contract_number: str):
    skip, limit = 0, 50
    while True:
        found = vospay.contracts(access_token=token, limit=limit, skip=skip)
        for contract in found.contracts:
            if contract.contract_number == contract_number:
                return contract
        skip += limit
        if not found.contracts or skip >= found.total:
            return None


@selfservice_view(PROVIDER, signed_in=True)
def contract_detail(request, merchant_slug: str, contract_number: str):
    contract, failed = _read(request, "contract_detail.html",
                             lambda c, t: _find_contract(c, t, contract_number))
    if failed:
        return failed
    if contract is None:
        return not_found(request, "You have no contract with this number.")
    return page(request, "vospay/contract_detail.html", {
        "contract": contract, "schedule": schedules.schedule(contract),
        "remaining": schedules.remaining_balance(contract), "bars": schedules.balance_chart(contract),
        "rate_percent": (contract.interest_rate * 100).normalize(),
        "chart_width": schedules.CHART_WIDTH, "chart_height": schedules.CHART_HEIGHT,
    })
