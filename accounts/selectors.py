from __future__ import annotations

from accounts.models import Membership, User


def memberships_for(*, user: User) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("merchant").order_by("merchant__name"))
