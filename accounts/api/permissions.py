"""Role checks for API views: ``permission_classes = [HasRole(Role.MANAGER)]``."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.models import Role, role_allows


class HasRole(BasePermission):
    """The caller acts for a merchant with at least ``role``. Anonymous callers get 401
    (DRF turns a refusal without credentials into NotAuthenticated); members below
    the role, or signed-in users of no merchant, get 403.

    An instance stands in for a class in ``permission_classes``: DRF calls each entry
    to build it, and calling an instance returns the instance."""

    def __init__(self, role: str = Role.VIEWER) -> None:
        self.role = Role(role)
        self.message = f"This needs the {self.role.label.lower()} role."

    def __call__(self) -> HasRole:
        return self

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        held = getattr(request, "role", None)
        if getattr(request, "merchant", None) is None or held is None:
            raise PermissionDenied("You are not a member of any merchant yet.")
        return role_allows(held, self.role)
