"""Who is signed in to the self-service pages, for which merchant and provider.

A customer is not a Django ``User``: signing in here logs nobody into ``/dashboard/``
or ``/admin/`` (they need a member's ``User``). The customer's state lives under its own
key of the session (``selfservice``), one entry per merchant, so a customer of merchant
A is nobody at ``/me/B/``. The provider's token is kept only there, encrypted with the
connection keys (``providers.crypto``): never in a URL, a page, a cookie in clear or a
log line. The session key is rotated at every sign-in.

A flow in progress (register → OTP → verify, activation → OTP → activate...) keeps its
state under ``selfservice_flow``, also per merchant; personal data in it (NIK, birth
date) is encrypted too, and the state is dropped as soon as the flow ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import wraps
from urllib.parse import quote

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import Customer, Merchant
from providers import crypto
from providers.models import ProviderConnection

SESSION_KEY = "selfservice"
FLOW_KEY = "selfservice_flow"
# A signed-in customer stays signed in this long at most (the provider's token may end sooner).
MAX_AGE = 2 * 3600
COUNTRY = {"enayapay": "SD", "vospay": "ID"}
PROVIDER_NAMES = {"enayapay": "EnayaPay", "vospay": "Vospay"}
SIGN_IN_PAGES = {"enayapay": "selfservice:enayapay-login", "vospay": "selfservice:vospay-signin"}


@dataclass(frozen=True)
class SignedInCustomer:
    merchant: Merchant
    customer: Customer
    provider: str
    name: str
    _token: str  # encrypted

    @property
    def token(self) -> str:
        """The provider's token for this customer (Vospay's access token, EnayaPay's verify
        token). Use it for one call; never put it in a page, a URL or a log."""
        return crypto.decrypt_json(self._token)["token"]


def merchant_for(slug: str) -> Merchant:
    return get_object_or_404(Merchant, slug=slug)


def connection_for(*, merchant: Merchant, provider: str) -> ProviderConnection | None:
    """The merchant's connection that serves its customers: live before test."""
    return ProviderConnection.objects.filter(merchant=merchant, provider=provider).order_by("mode").first()


def _entries(request) -> dict:
    return request.session.get(SESSION_KEY) or {}


def customer_sign_in(*, request, merchant: Merchant, provider: str, phone: str, name: str, token: str,
                     max_age: int = MAX_AGE) -> Customer:
    """Record ``phone`` as signed in with ``provider`` at ``merchant``. ``phone`` is E.164."""
    customer, created = Customer.objects.get_or_create(merchant=merchant, phone=phone, defaults={"name": name})
    if name and customer.name != name and not created:
        Customer.objects.filter(pk=customer.pk).update(name=name)
    request.session.cycle_key()  # a fixated session id must not become a signed-in one
    entries = _entries(request)
    mine = entries.get(str(merchant.pk), {})
    mine[provider] = {"customer": customer.pk, "name": name, "token": crypto.encrypt_json({"token": token}),
                      "until": time.time() + max_age}
    entries[str(merchant.pk)] = mine
    request.session[SESSION_KEY] = entries
    return customer


def customer_get(*, request, merchant: Merchant, provider: str) -> SignedInCustomer | None:
    entry = _entries(request).get(str(merchant.pk), {}).get(provider)
    if not entry or entry.get("until", 0) < time.time():
        return None
    customer = Customer.objects.filter(pk=entry["customer"], merchant=merchant).first()
    if customer is None:
        return None
    return SignedInCustomer(merchant=merchant, customer=customer, provider=provider, name=entry.get("name") or "",
                            _token=entry["token"])


def customer_sign_out(*, request, merchant: Merchant, provider: str | None = None) -> None:
    """Forget the customer at ``merchant`` (one provider, or all). A member signed in to the
    dashboard in the same browser stays signed in there."""
    entries = _entries(request)
    mine = entries.get(str(merchant.pk), {})
    for name in [provider] if provider else list(mine):
        mine.pop(name, None)
    if mine:
        entries[str(merchant.pk)] = mine
    else:
        entries.pop(str(merchant.pk), None)
    request.session[SESSION_KEY] = entries
    flows = request.session.get(FLOW_KEY) or {}
    if flows.pop(str(merchant.pk), None) is not None:
        request.session[FLOW_KEY] = flows
    request.session.cycle_key()


# -- a flow in progress ---------------------------------------------------------------------
def flow_start(*, request, merchant: Merchant, flow: str, phone: str, challenge_id: int | None,
               secret: dict | None = None, **public) -> None:
    flows = request.session.get(FLOW_KEY) or {}
    flows[str(merchant.pk)] = {"flow": flow, "phone": phone, "challenge": challenge_id,
                               "secret": crypto.encrypt_json(secret or {}), "public": public,
                               "started": time.time()}
    request.session[FLOW_KEY] = flows


def flow_get(*, request, merchant: Merchant, flows: tuple[str, ...]) -> dict | None:
    """The flow in progress at ``merchant`` if it is one of ``flows`` (its ``secret`` part
    decrypted), else None."""
    state = (request.session.get(FLOW_KEY) or {}).get(str(merchant.pk))
    if not state or state["flow"] not in flows or state["started"] < time.time() - MAX_AGE:
        return None
    return {**state, "secret": crypto.decrypt_json(state["secret"])}


def flow_update(*, request, merchant: Merchant, **changes) -> None:
    flows = request.session.get(FLOW_KEY) or {}
    state = flows.get(str(merchant.pk))
    if state:
        if "secret" in changes:
            changes["secret"] = crypto.encrypt_json(changes["secret"])
        state.update(changes)
        request.session[FLOW_KEY] = flows


def flow_end(*, request, merchant: Merchant) -> None:
    flows = request.session.get(FLOW_KEY) or {}
    if flows.pop(str(merchant.pk), None) is not None:
        request.session[FLOW_KEY] = flows


# -- for views: the signed-in customer, and "sign in, then come back" ----------------------
def safe_next(request, merchant: Merchant, candidate: str | None) -> str | None:
    """``candidate`` if it is a path of this site under ``/me/<merchant>/``, else None."""
    if not candidate:
        return None
    prefix = f"/me/{merchant.slug}/"
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return None
    if not candidate.startswith(prefix) or "//" in candidate or "\\" in candidate or ".." in candidate:
        return None
    return candidate


def sign_in_url(merchant: Merchant, provider: str, next_path: str | None = None) -> str:
    url = reverse(SIGN_IN_PAGES[provider], kwargs={"merchant_slug": merchant.slug})
    return f"{url}?next={quote(next_path, safe='/')}" if next_path else url


def customer_required(provider: str = "vospay"):
    """The view needs a customer signed in with ``provider`` at the URL's merchant.

    The view is called as ``view(request, *args, **kwargs)`` with ``request.merchant_page``
    (the merchant), ``request.connection`` and ``request.customer`` (a
    ``SignedInCustomer``: ``.customer``, ``.name``, ``.token``) set. Without a signed-in
    customer it redirects to the provider's sign-in page with ``?next=`` the current
    path, and sign-in comes back there. A merchant with no connection for ``provider``
    has no such pages (404)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, merchant_slug: str, *args, **kwargs):
            merchant = merchant_for(merchant_slug)
            connection = connection_for(merchant=merchant, provider=provider)
            if connection is None:
                return not_offered(request, merchant, provider)
            signed_in = customer_get(request=request, merchant=merchant, provider=provider)
            if signed_in is None:
                return redirect(sign_in_url(merchant, provider, request.get_full_path()))
            request.merchant_page, request.connection, request.customer = merchant, connection, signed_in
            return view(request, merchant_slug, *args, **kwargs)

        return wrapper

    return decorate


def not_offered(request, merchant: Merchant, provider: str):
    """The 404 of a merchant that has no connection for ``provider``, in the customer layout."""
    return render(request, "selfservice/not_found.html", {
        "merchant": merchant, "slug": merchant.slug,
        "message": f"{merchant.name} does not offer {PROVIDER_NAMES[provider]} accounts.",
    }, status=404)


def customer_token(request) -> str:
    """The signed-in customer's provider token, inside a ``customer_required`` view."""
    return request.customer.token
