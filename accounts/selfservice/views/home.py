"""The merchant's self-service start page and sign-out."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.selfservice import sessions
from accounts.selfservice.views.common import page, selfservice_view


@selfservice_view()
def home(request, merchant_slug: str):
    merchant = request.merchant_page
    offers = {p: sessions.connection_for(merchant=merchant, provider=p) is not None for p in ("enayapay", "vospay")}
    signed_in = {p: sessions.customer_get(request=request, merchant=merchant, provider=p) for p in offers}
    return page(request, "home.html", {"offers": offers, "signed_in": signed_in})


@require_POST
@selfservice_view()
def signout(request, merchant_slug: str):
    sessions.customer_sign_out(request=request, merchant=request.merchant_page)
    messages.success(request, "You are signed out.")
    return redirect(reverse("selfservice:home", kwargs={"merchant_slug": merchant_slug}))
