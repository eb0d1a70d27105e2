"""Sets ``request.membership`` and ``request.merchant``: the merchant the signed-in user
is working on (chosen with the merchant switcher, kept in the session)."""

from __future__ import annotations

from accounts.selectors import memberships_for

SESSION_KEY = "current_merchant_id"


class CurrentMerchantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.merchant = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = memberships_for(user=user)
            chosen = request.session.get(SESSION_KEY)
            membership = next((m for m in memberships if m.merchant_id == chosen), None)
            membership = membership or (memberships[0] if memberships else None)
            request.memberships = memberships
            if membership is not None:
                request.membership = membership
                request.merchant = membership.merchant
        return self.get_response(request)
