"""The customer's side of an installment order. No sign-in: the unguessable token in
the link is the key, and it shows only this order's summary (no merchant data, no other
order). The link must not leak through a Referer or a search engine, so the page says
``no-referrer`` and ``noindex``."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from accounts.models import Merchant
from payments.models import VospayOrder


@never_cache
def checkout_order(request, merchant_slug: str, token: str):
    order = _order(merchant_slug, token)
    response = render(request, "payments/checkout/order.html", {
        "merchant": order.transaction.merchant, "order": order, "transaction": order.transaction,
        "items": list(order.items.all()),
    })
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _order(merchant_slug: str, token: str) -> VospayOrder:
    if not token or len(token) > 64:
        raise Http404("No such order.")
    merchant = Merchant.objects.filter(slug=merchant_slug).first()
    order = (VospayOrder.objects.select_related("transaction", "transaction__merchant")
             .filter(checkout_token=token, transaction__merchant=merchant).first()) if merchant else None
    if order is None:
        raise Http404("No such order.")
    return order
