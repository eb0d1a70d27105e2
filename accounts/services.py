"""Services on people and tenancy: customers, the team of a merchant, API keys.

Team changes lock the merchant's owner memberships first, so two owners demoting or
removing each other at the same moment cannot leave a merchant with no owner."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import ApiKey, Customer, Membership, Merchant, Role, User
from accounts.phones import phone_to_e164
from accounts.selectors import api_key_sha256, user_find

# A key's last use is written at most this often: an API client making ten calls a
# second must not turn every read into a write on the same row.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)
# Roles a key may carry: never owner (see ApiKey).
API_KEY_ROLES = (Role.MANAGER, Role.VIEWER)


class SettingsError(ValueError):
    """A team or API-key change that cannot be made; the message says why, for people."""


def customer_get_or_create(*, merchant: Merchant, phone: str, name: str = "", country: str | None = None) -> Customer:
    """The merchant's customer with this phone, parsed for ``country`` (the provider's,
    defaulting to the merchant's) and stored in E.164. Raises InvalidPhone."""
    e164 = phone_to_e164(phone, country=country or merchant.country)
    customer, created = Customer.objects.get_or_create(merchant=merchant, phone=e164, defaults={"name": name})
    if not created and name and not customer.name:
        customer.name = name
        customer.save(update_fields=["name"])
    return customer


# --- Team ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    membership: Membership
    new_user: bool


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise SettingsError(f"Unknown role {role!r}; choose owner, manager or viewer.") from None


@transaction.atomic
def member_invite(*, merchant: Merchant, email_or_username: str, role: str, invited_by: User) -> Invitation:
    """Add an existing user (by email or user name) to the team, or invite a new one by
    email. A new user is created active but with no usable password: they cannot sign
    in until they follow the emailed set-password link (Django's password-reset token,
    valid for PASSWORD_RESET_TIMEOUT and spent once the password is set). Mail goes out
    after the commit, so a rolled-back invite sends nothing."""
    role = _role(role)
    user = user_find(email_or_username=email_or_username)
    new_user = user is None
    if new_user:
        user = _invited_user_create(email=email_or_username.strip())
    elif Membership.objects.filter(merchant=merchant, user=user).exists():
        raise SettingsError(f"{user.get_username()} is already a member of {merchant.name}.")
    membership = Membership.objects.create(merchant=merchant, user=user, role=role)
    if user.email:
        transaction.on_commit(lambda: _invitation_send(membership=membership, new_user=new_user, by=invited_by))
    return Invitation(membership=membership, new_user=new_user)


def _invited_user_create(*, email: str) -> User:
    if "@" not in email:
        raise SettingsError(f"There is no user named {email!r}. To invite someone new, enter their email.")
    username = email.lower()
    if len(username) > 150 or User.objects.filter(username=username).exists():
        raise SettingsError("That email cannot be used as a user name; add the person by their user name.")
    user = User(username=username, email=email)
    user.set_unusable_password()
    user.save()
    return user


def password_set_url(*, user: User) -> str:
    path = reverse(
        "accounts:password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.PAYDESK_PUBLIC_URL.rstrip("/") + path


def _invitation_send(*, membership: Membership, new_user: bool, by: User) -> None:
    merchant, user = membership.merchant, membership.user
    lines = [f"{by.get_username()} added you to {merchant.name} on Paydesk as {membership.get_role_display()}."]
    if new_user:
        lines.append(f"Choose your password here to sign in: {password_set_url(user=user)}")
    else:
        lines.append(f"Sign in as usual: {settings.PAYDESK_PUBLIC_URL.rstrip('/')}{reverse('accounts:login')}")
    send_mail(f"You were added to {merchant.name} on Paydesk", "\n\n".join(lines), None, [user.email])


def _owners_locked(*, merchant: Merchant) -> list[int]:
    """Primary keys of the merchant's owner memberships, locked until the commit."""
    return list(
        Membership.objects.select_for_update()
        .filter(merchant=merchant, role=Role.OWNER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _ensure_another_owner(*, membership: Membership, action: str) -> None:
    if _owners_locked(merchant=membership.merchant) == [membership.pk]:
        raise SettingsError(
            f"{membership.user.get_username()} is the only owner: make someone else owner before you {action}."
        )


@transaction.atomic
def member_role_change(*, membership: Membership, role: str) -> Membership:
    """Give a member another role; the last owner cannot step down."""
    role = _role(role)
    if role != Role.OWNER:
        _ensure_another_owner(membership=membership, action="change their role")
    Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    """Take a member off the team (the user stays); the last owner cannot be removed."""
    _ensure_another_owner(membership=membership, action="remove them")
    membership.delete()


# --- API keys -----------------------------------------------------------------------


def _new_key() -> tuple[str, str]:
    """(prefix, full key). 8 hex characters of prefix find the row; 43 characters of
    URL-safe secret (256 bits) make the key. Prefix clashes are retried."""
    for _ in range(5):
        prefix = secrets.token_hex(4)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return prefix, f"pd_{prefix}_{secrets.token_urlsafe(32)}"
    raise RuntimeError("Could not find a free API key prefix.")


class ApiKeyAlreadyCreated(SettingsError):
    """The form that asked for this key was sent before: ``api_key`` is the key it made
    then (its secret was shown that once and cannot be shown again)."""

    def __init__(self, api_key: ApiKey) -> None:
        super().__init__(
            f"This form was already sent: it created the key “{api_key.name}” ({api_key.display_prefix}). "
            "Its secret was shown only once; if you did not copy it, revoke that key and create a new one."
        )
        self.api_key = api_key


def api_key_create(
    *, merchant: Merchant, name: str, role: str = Role.MANAGER, created_by: User | None, form_nonce: str = ""
) -> tuple[ApiKey, str]:
    """A new key and its full text. The text is returned once, here, and never stored:
    whoever created it must copy it now. ``form_nonce`` (the creating form's one-time
    token) makes a resubmitted form raise ApiKeyAlreadyCreated instead of a second key."""
    name = name.strip()
    if not name:
        raise SettingsError("Give the key a name, so that you can tell it apart later.")
    if _role(role) not in API_KEY_ROLES:
        raise SettingsError("An API key acts as a manager or a viewer, never as an owner.")
    if form_nonce and (made := ApiKey.objects.filter(merchant=merchant, form_nonce=form_nonce).first()):
        raise ApiKeyAlreadyCreated(made)
    prefix, raw_key = _new_key()
    try:
        with transaction.atomic():
            api_key = ApiKey.objects.create(
                merchant=merchant, name=name, role=role, prefix=prefix, secret_sha256=api_key_sha256(raw_key),
                created_by=created_by, form_nonce=form_nonce,
            )
    except IntegrityError:
        # The same form, sent twice at once: the other request made the key.
        made = ApiKey.objects.filter(merchant=merchant, form_nonce=form_nonce).first() if form_nonce else None
        if made is None:
            raise
        raise ApiKeyAlreadyCreated(made) from None
    return api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke the key for good (revoking twice keeps the first time)."""
    now = timezone.now()
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record that the key was used, at most once per API_KEY_TOUCH_INTERVAL: one
    conditional UPDATE, and none at all while the last write is fresh."""
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < API_KEY_TOUCH_INTERVAL:
        return
    ApiKey.objects.filter(pk=api_key.pk, last_used_at=api_key.last_used_at).update(last_used_at=now)
    api_key.last_used_at = now
