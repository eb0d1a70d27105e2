"""What every self-service page shares: the merchant from the URL, its connection, the
client address for the OTP guard, provider errors turned into a page, and "send a code"
counted by the OTP guard.

Views that call a provider opt out of the request transaction: nothing is held open
while the provider is slow, and what they write (a counted code, a customer) is written
in its own short transaction. They are never cached and their POST data is hidden from
error reports (``sensitive_post_parameters``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.db import transaction
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.selfservice import otp_guard, sessions
from accounts.selfservice.otp_guard import OtpBlocked, OtpChallenge, otp_issue
from providers.base.errors import (
    ProviderError,
    ProviderInputError,
    ProviderInvalidResponse,
    ProviderUnavailable,
)
from providers.services import client_for


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: a forwarded-for header is the client's to forge. Behind a proxy,
    # the proxy sets REMOTE_ADDR (gunicorn's forwarded_allow_ips).
    return request.META.get("REMOTE_ADDR") or None


def selfservice_view(provider: str | None = None, *, signed_in: bool = False):
    """The URL's merchant (404 if unknown) and, with ``provider``, its connection (404 if
    the merchant does not offer it) on ``request.merchant_page`` / ``request.connection``;
    with ``signed_in``, ``customer_required`` as well. Never cached, secrets kept out of
    error reports, no request transaction."""

    def decorate(view):
        if signed_in:
            inner = sessions.customer_required(provider)(view)
        else:
            @wraps(view)
            def inner(request, merchant_slug: str, *args, **kwargs):
                request.merchant_page = sessions.merchant_for(merchant_slug)
                request.connection = None
                if provider:
                    request.connection = sessions.connection_for(merchant=request.merchant_page, provider=provider)
                    if request.connection is None:
                        return sessions.not_offered(request, request.merchant_page, provider)
                return view(request, merchant_slug, *args, **kwargs)
        return transaction.non_atomic_requests(never_cache(sensitive_post_parameters()(wraps(view)(inner))))

    return decorate


def client(request):
    return client_for(request.connection)


def page(request, template: str, context: dict | None = None, *, status: int = 200):
    merchant = request.merchant_page
    base = {"merchant": merchant, "slug": merchant.slug, "customer": getattr(request, "customer", None)}
    return render(request, f"selfservice/{template}", {**base, **(context or {})}, status=status)


def not_found(request, message: str):
    return page(request, "not_found.html", {"message": message}, status=404)


def error_status(error: Exception) -> int:
    """The HTTP status of a page showing ``error``: the form is shown again either way."""
    if isinstance(error, ProviderUnavailable):
        return 503
    if isinstance(error, ProviderInvalidResponse):
        return 502
    if isinstance(error, OtpBlocked):
        return 429
    return 200


def provider_problem(error: ProviderError, sentences: dict[str, str] | None = None) -> str:
    """A plain sentence for a provider's answer: ours for the codes we know, else the
    client's own (already a sentence, never holding a secret)."""
    if sentences and error.code in sentences:
        return sentences[error.code]
    if isinstance(error, ProviderUnavailable):
        return f"{error.message} Nothing was changed; you can try again."
    if isinstance(error, ProviderInvalidResponse):
        return "The provider sent an answer we could not read. Nothing was changed; please try again."
    return error.message


def blocked_sentence(error: OtpBlocked, now: datetime | None = None) -> str:
    """The guard's refusal and when to retry, as a wait ("in 40 seconds"): a customer in
    Khartoum or Jakarta does not read the server's clock."""
    if error.retry_at is None:
        return error.message
    seconds = math.ceil((error.retry_at - (now or otp_guard.clock_now())).total_seconds())
    if seconds <= 0:
        return f"{error.message} You can try again now."
    if seconds < 60:
        wait = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{error.message} Try again in {wait}."


def send_code(request, *, flow: str, phone: str, send: Callable[[], Any]) -> tuple[OtpChallenge, Any]:
    """Count a code with the OTP guard, then ``send()`` (the provider texts it).

    When the provider surely sent nothing (it refused, it is down, or the input was
    refused before sending), the count is rolled back so the customer can try again at
    once. When no answer came (timeout, dropped connection) the SMS may have gone out,
    so the count stands. Raises OtpBlocked or the provider's error."""
    unanswered = None
    with transaction.atomic():
        challenge = otp_issue(merchant=request.merchant_page, flow=flow, phone=phone, client_ip=client_ip(request))
        try:
            result = send()
        except ProviderError as e:
            if e.http_status is not None or isinstance(e, ProviderInputError):
                raise
            unanswered = e
    if unanswered is not None:
        raise unanswered
    return challenge, result
