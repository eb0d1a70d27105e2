"""Role checks for pages. A member below the role needed gets 403; a record of another
merchant is looked up within the current merchant only, so it is a 404. Staff who
belong to no merchant have no dashboard: their place is Django admin, so they are
sent there instead of being shown a 403."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from accounts.models import Role


def member_required(role: str = Role.VIEWER):
    """The view needs a signed-in member of the current merchant with at least ``role``."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if membership is None and request.user.is_staff:
                return redirect("admin:index")
            if membership is None:
                raise PermissionDenied("You are not a member of any merchant yet.")
            if not membership.allows(role):
                raise PermissionDenied(f"This page needs the {Role(role).label.lower()} role.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
