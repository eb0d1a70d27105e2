"""EnayaPay customer accounts (Sudan): register → OTP → verify, login (password, then an
OTP: only verify hands out the token the card and password calls need), forgotten
password, change password, card balance inquiry.

How a registered customer gets a code: EnayaPay has no "send OTP" call; register answers
``302 already registered`` for a known phone and texts a fresh code (providers/enayapay
README, quirk 7). So login and "forgot password" ask register for the code, with a random
throw-away password that a 302 ignores. "Forgot password" first asks login, with a random
password, whether the phone is registered (404) or not (203), so that it never creates an
account for a phone that had none.

Card numbers and IPINs exist only in the request that uses them: never in the session,
the database, a log line or a page (the result shows the card as first six / last four).
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.selfservice import forms, sessions
from accounts.selfservice.otp_guard import OtpBlocked, otp_attempt, otp_passed, otp_tries_left, sign_in_attempt
from accounts.selfservice.views.common import (
    blocked_sentence,
    client,
    client_ip,
    error_status,
    page,
    provider_problem,
    selfservice_view,
    send_code,
)
from providers.base.errors import ProviderAuthenticationError, ProviderError, ProviderRejected

PROVIDER = "enayapay"
CODE_FLOWS = ("enayapay_register", "enayapay_login", "enayapay_forgot")

SENTENCES = {
    "invalid_phone": "EnayaPay says this number is not valid. Check it and try again.",
    "sms_gateway_unavailable": "EnayaPay could not send the SMS right now (its SMS gateway is down). "
                               "No account was created; please try again in a few minutes.",
    "service_unavailable": "EnayaPay's service is not available right now. Nothing was changed; "
                           "please try again in a few minutes.",
    "wrong_otp": "That code is not right. Check the SMS and try again.",
    "not_registered": "This number has no EnayaPay account yet. You can register it.",
    "wrong_password": "The mobile number or password is not right.",
    "wrong_current_password": "Your current password is not right, so the password was not changed.",
    "invalid_token": "Your EnayaPay session has ended. Sign in again to continue.",
}


def _url(request, name: str) -> str:
    return reverse(f"selfservice:enayapay-{name}", kwargs={"merchant_slug": request.merchant_page.slug})


def _form_page(request, template: str, form, *, problem: str = "", status: int = 200, **context):
    return page(request, f"enayapay/{template}", {"form": form, "problem": problem, **context}, status=status)


def _text_code(request, phone: str, name: str):
    """Have EnayaPay text a code to a registered phone (register → 302)."""
    def send():
        try:
            client(request).register(phone=phone, name=name or "EnayaPay customer",
                                     password=secrets.token_urlsafe(18))
        except ProviderRejected as e:
            if e.code != "already_registered":
                raise
    return send


def _start_code_flow(request, flow: str, phone: str, send, template: str, form, **public):
    """Count and send a code, then go to the verify page; or show why not."""
    try:
        challenge, _ = send_code(request, flow=flow, phone=phone, send=send)
    except OtpBlocked as e:
        return _form_page(request, template, form, problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        return _form_page(request, template, form, problem=provider_problem(e, SENTENCES), status=error_status(e))
    sessions.flow_start(request=request, merchant=request.merchant_page, flow=flow, phone=phone,
                        challenge_id=challenge.pk, **public)
    return redirect(_url(request, "verify"))


# -- register, login, forgot password ----------------------------------------------------
@selfservice_view(PROVIDER)
def register(request, merchant_slug: str):
    form = forms.EnayaRegisterForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "register.html", form, status=200 if request.method != "POST" else 400)
    phone, name = form.cleaned_data["phone"], form.cleaned_data["name"]
    password = form.cleaned_data["password"]
    send = lambda: client(request).register(phone=phone, name=name, password=password)  # noqa: E731
    try:
        challenge, _ = send_code(request, flow="enayapay_register", phone=phone, send=send)
    except OtpBlocked as e:
        return _form_page(request, "register.html", form, problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        if e.code == "already_registered":
            return _form_page(request, "register.html", form, already_registered=True,
                              problem="This number already has an EnayaPay account. Log in instead, "
                                      "or reset your password if you forgot it.")
        return _form_page(request, "register.html", form, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    sessions.flow_start(request=request, merchant=request.merchant_page, flow="enayapay_register", phone=phone,
                        challenge_id=challenge.pk, name=name, next=_next(request))
    return redirect(_url(request, "verify"))


def _next(request) -> str | None:
    return sessions.safe_next(request, request.merchant_page, request.POST.get("next") or request.GET.get("next"))


@selfservice_view(PROVIDER)
def login(request, merchant_slug: str):
    form = forms.EnayaLoginForm(request.POST or None)
    next_path = _next(request)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "login.html", form, next=next_path, status=200 if request.method != "POST" else 400)
    phone = form.cleaned_data["phone"]
    try:
        sign_in_attempt(merchant=request.merchant_page, login=phone, client_ip=client_ip(request))
        status = client(request).login(phone=phone, password=form.cleaned_data["password"])
    except OtpBlocked as e:
        return _form_page(request, "login.html", form, next=next_path, problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        return _form_page(request, "login.html", form, next=next_path, problem=provider_problem(e, SENTENCES),
                          not_registered=e.code == "not_registered", status=error_status(e))
    return _start_code_flow(request, "enayapay_login", phone, _text_code(request, phone, status.user_name),
                            "login.html", form, name=status.user_name, next=next_path)


@selfservice_view(PROVIDER)
def forgot(request, merchant_slug: str):
    form = forms.EnayaForgotForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "forgot.html", form, status=200 if request.method != "POST" else 400)
    phone = form.cleaned_data["phone"]
    try:  # is it registered? 404 says no, 203 (wrong password) says yes; EnayaPay counts it as a try
        sign_in_attempt(merchant=request.merchant_page, login=phone, client_ip=client_ip(request))
        client(request).login(phone=phone, password=secrets.token_urlsafe(24))
    except OtpBlocked as e:
        return _form_page(request, "forgot.html", form, problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        if e.code != "wrong_password":
            return _form_page(request, "forgot.html", form, problem=provider_problem(e, SENTENCES),
                              not_registered=e.code == "not_registered", status=error_status(e))
    return _start_code_flow(request, "enayapay_forgot", phone, _text_code(request, phone, ""), "forgot.html", form)


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
        return redirect(_url(request, "login"))
    form = forms.OtpForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _verify_page(request, state, form, status=200 if request.method != "POST" else 400)
    phone = state["phone"]
    try:
        challenge = otp_attempt(merchant=merchant, challenge_id=state["challenge"], flow=state["flow"], phone=phone,
                                client_ip=client_ip(request))
    except OtpBlocked as e:
        return _verify_page(request, state, form, problem=blocked_sentence(e), status=429, can_resend=True)
    try:
        verification = client(request).verify(phone=phone, otp=form.cleaned_data["code"])
    except ProviderError as e:
        problem = provider_problem(e, SENTENCES)
        if e.code == "wrong_otp":
            left = otp_tries_left(challenge)
            problem += f" {left} {'try' if left == 1 else 'tries'} left." if left else " Ask for a new code."
        return _verify_page(request, state, form, problem=problem, status=error_status(e), can_resend=True)
    otp_passed(challenge=challenge)
    if state["flow"] == "enayapay_forgot":
        sessions.flow_update(request=request, merchant=merchant, flow="enayapay_reset",
                             secret={"token": verification.token}, public={"name": verification.user_name})
        return redirect(_url(request, "reset"))
    sessions.flow_end(request=request, merchant=merchant)
    sessions.customer_sign_in(request=request, merchant=merchant, provider=PROVIDER, phone=phone,
                              name=verification.user_name, token=verification.token)
    messages.success(request, f"Welcome, {verification.user_name}. Your number is verified.")
    return redirect(state["public"].get("next") or _url(request, "account"))


@require_POST
@selfservice_view(PROVIDER)
def resend(request, merchant_slug: str):
    merchant = request.merchant_page
    state = sessions.flow_get(request=request, merchant=merchant, flows=CODE_FLOWS)
    if state is None:
        return redirect(_url(request, "login"))
    phone = state["phone"]
    send = _text_code(request, phone, state["public"].get("name", ""))
    try:
        challenge, _ = send_code(request, flow=state["flow"], phone=phone, send=send)
    except OtpBlocked as e:
        return _verify_page(request, state, forms.OtpForm(), problem=blocked_sentence(e), status=429)
    except ProviderError as e:
        return _verify_page(request, state, forms.OtpForm(), problem=provider_problem(e, SENTENCES),
                            status=error_status(e), can_resend=True)
    sessions.flow_update(request=request, merchant=merchant, challenge=challenge.pk)
    messages.success(request, "A new code is on its way.")
    return redirect(_url(request, "verify"))


@selfservice_view(PROVIDER)
def reset(request, merchant_slug: str):
    merchant = request.merchant_page
    state = sessions.flow_get(request=request, merchant=merchant, flows=("enayapay_reset",))
    if state is None:
        return redirect(_url(request, "forgot"))
    form = forms.EnayaNewPasswordForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "reset.html", form, status=200 if request.method != "POST" else 400)
    token = state["secret"]["token"]
    try:
        status = client(request).reset_password(phone=state["phone"], new_password=form.cleaned_data["password"],
                                                token=token)
    except ProviderError as e:
        if isinstance(e, ProviderAuthenticationError):
            sessions.flow_end(request=request, merchant=merchant)
        return _form_page(request, "reset.html", form, problem=provider_problem(e, SENTENCES), status=error_status(e))
    sessions.flow_end(request=request, merchant=merchant)
    sessions.customer_sign_in(request=request, merchant=merchant, provider=PROVIDER, phone=state["phone"],
                              name=status.user_name, token=token)
    messages.success(request, "Your password has been reset. You are signed in.")
    return redirect(_url(request, "account"))


# -- signed in ------------------------------------------------------------------------------
def _session_ended(request):
    sessions.customer_sign_out(request=request, merchant=request.merchant_page, provider=PROVIDER)
    messages.error(request, SENTENCES["invalid_token"])
    return redirect(_url(request, "login"))


@selfservice_view(PROVIDER, signed_in=True)
def account(request, merchant_slug: str):
    return page(request, "enayapay/account.html", {"customer": request.customer,
                                                   "card_balance": client(request).card_balance_configured})


@selfservice_view(PROVIDER, signed_in=True)
def balance(request, merchant_slug: str):
    enaya = client(request)
    if not enaya.card_balance_configured:
        return page(request, "enayapay/balance.html", {"form": None, "unconfigured": True}, status=503)
    form = forms.BalanceForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "balance.html", form, status=200 if request.method != "POST" else 400)
    data = form.cleaned_data
    try:
        result = enaya.balance_inquiry(pan=data["pan"], ipin=data["ipin"], expiry=data["expiry"],
                                       token=request.customer.token)
    except ProviderAuthenticationError as e:
        if e.code == "invalid_token":
            return _session_ended(request)
        return _form_page(request, "balance.html", form, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    except ProviderError as e:
        return _form_page(request, "balance.html", form, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    return page(request, "enayapay/balance_result.html", {"result": result})


@selfservice_view(PROVIDER, signed_in=True)
def change_password(request, merchant_slug: str):
    form = forms.EnayaChangePasswordForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "change_password.html", form, status=200 if request.method != "POST" else 400)
    try:
        client(request).change_password(current_password=form.cleaned_data["current_password"],
                                        new_password=form.cleaned_data["new_password"],
                                        token=request.customer.token)
    except ProviderError as e:
        if e.code == "invalid_token":
            return _session_ended(request)
        return _form_page(request, "change_password.html", form, problem=provider_problem(e, SENTENCES),
                          status=error_status(e))
    messages.success(request, "Your password has been changed.")
    return redirect(_url(request, "account"))
