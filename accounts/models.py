"""Users, merchants (the tenants), memberships with roles, merchants' API keys and
merchants' customers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """A person who signs in to the dashboard or admin. Customers of a merchant are
    not users: they are ``Customer`` rows, known by phone."""

    email = models.EmailField("email address", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="accounts_user_email_ci_unique", condition=~models.Q(email="")
            )
        ]


class Merchant(models.Model):
    """The tenant: every record of Paydesk belongs to exactly one merchant."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. TR")
    default_currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. TRY")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    VIEWER = "viewer", "Viewer"


# What each role may do. Viewers read only; payouts and refunds need owner or manager;
# connections, team and API keys are the owner's.
ROLE_RANK = {Role.VIEWER: 0, Role.MANAGER: 1, Role.OWNER: 2}


def role_allows(held: str, needed: str) -> bool:
    """True when the role ``held`` is at least ``needed``."""
    return ROLE_RANK[Role(held)] >= ROLE_RANK[Role(needed)]


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="accounts_membership_unique")
        ]
        ordering = ["merchant__name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"

    def allows(self, role: str) -> bool:
        """True when this membership's role is at least ``role``."""
        return role_allows(self.role, role)


class ApiKey(models.Model):
    """A merchant's key for the REST API: ``pd_<prefix>_<secret>``, shown once.

    Only ``prefix`` (public, the lookup) and the SHA-256 of the whole key are stored.
    A fast hash is enough here, unlike for passwords: the secret is 256 random bits,
    so there is nothing to guess from the hash, and a slow hash (PBKDF2) would cost
    every API request a tenth of a second. The raw key is nowhere in the database.

    A key acts with its own ``role``, chosen at creation: viewer or manager (the
    default), never owner, so a leaked key can move money at most, not mint more keys,
    change the team or rewrite connections."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MANAGER)
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The one-time token of the form that created the key: a reload or a double click of
    # "Create key" finds the key it made instead of making a second one.
    form_nonce = models.CharField(max_length=43, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "form_nonce"], condition=~models.Q(form_nonce=""),
                name="accounts_apikey_form_nonce_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        """What pages show of a key: enough to recognise it, nothing to use."""
        return f"pd_{self.prefix}_…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Customer(models.Model):
    """A merchant's end user, known by phone number (E.164, e.g. +249912345678)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="customers")
    phone = models.CharField(max_length=16, help_text="E.164")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "phone"], name="accounts_customer_phone_unique")
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name or 'Customer'} {self.phone}"


# -- customer self-service: Paydesk's own OTP guard (accounts/selfservice/otp_guard.py) ----
class OtpChallenge(models.Model):
    """One code a provider texted for one flow (``enayapay_register``, ``vospay_signin``...)
    to one phone. Paydesk never sees the code itself: it counts the tries, so at most
    ``max_attempts`` codes are ever sent to the provider for it, whatever the provider
    allows. A code asked for by one flow cannot be entered in another."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    flow = models.CharField(max_length=40)
    phone = models.CharField(max_length=16, help_text="E.164")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    passed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "phone", "issued_at"], name="accounts_otp_phone_idx")]
        verbose_name = "OTP challenge"

    def __str__(self) -> str:
        return f"{self.flow} {self.phone} ({self.attempts}/{self.max_attempts})"


class OtpThrottle(models.Model):
    """A counter in a rolling-hour window for one key (``send:phone:<merchant>:<e164>``,
    ``send:ip:<address>``, ``try:ip:<address>``). Changed only by one conditional UPDATE,
    so two concurrent requests can never both take the last slot."""

    key = models.CharField(max_length=120, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OTP throttle"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
