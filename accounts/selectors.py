from __future__ import annotations

from accounts.models import Membership, Merchant, User


def memberships_for(*, user: User) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("merchant").order_by("merchant__name"))


def team_for(*, merchant: Merchant) -> list[Membership]:
    return list(merchant.memberships.select_related("user").order_by("role", "user__username"))
