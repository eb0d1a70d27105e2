from __future__ import annotations

import hashlib
import hmac

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from accounts.models import ApiKey, Membership, Merchant, User


def memberships_for(*, user: User) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("merchant").order_by("merchant__name"))


def team_for(*, merchant: Merchant) -> list[Membership]:
    return list(merchant.memberships.select_related("user").order_by("role", "user__username"))


def membership_get(*, merchant: Merchant, pk: int) -> Membership:
    """A membership of ``merchant``; any other merchant's is a 404."""
    return get_object_or_404(Membership.objects.select_related("user"), merchant=merchant, pk=pk)


def user_find(*, email_or_username: str) -> User | None:
    """The user with this email (any case) or user name, or None."""
    wanted = email_or_username.strip()
    query = Q(username=wanted)
    if "@" in wanted:
        query |= Q(email_lower=wanted.lower())
    return User.objects.annotate(email_lower=Lower("email")).filter(query).first()


def api_keys_for(*, merchant: Merchant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(merchant=merchant).select_related("created_by")


def api_key_get(*, merchant: Merchant, pk: int) -> ApiKey:
    """An API key of ``merchant``; any other merchant's is a 404."""
    return get_object_or_404(ApiKey, merchant=merchant, pk=pk)


def api_key_sha256(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key whose full text is ``raw_key``, with its merchant; None for a
    malformed, unknown or revoked key. The prefix finds the row, the hash decides."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != "pd" or not parts[1] or not parts[2]:
        return None
    api_key = (
        ApiKey.objects.select_related("merchant")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.secret_sha256, api_key_sha256(raw_key)):
        return None
    return api_key
