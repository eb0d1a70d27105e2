"""A merchant's connection to one provider in one mode, with its credentials
encrypted at rest. The credentials never leave this model in clear except to build a
client (``providers.services.client_for``); everywhere else they are masked."""

from __future__ import annotations

import hashlib
import secrets

from cryptography.fernet import InvalidToken
from django.db import models

from accounts.models import Merchant
from providers import crypto
from providers.base.redaction import mask_secret
from providers.registry import PROVIDER_CHOICES, get_spec


def new_callback_token() -> str:
    return secrets.token_urlsafe(32)


class ProviderConnection(models.Model):
    class Mode(models.TextChoices):
        TEST = "test", "Test"
        LIVE = "live", "Live"

    class Status(models.TextChoices):
        UNCHECKED = "unchecked", "Not checked yet"
        HEALTHY = "healthy", "Healthy"
        FAILING = "failing", "Failing"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="connections")
    provider = models.CharField(max_length=20, choices=PROVIDER_CHOICES)
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.TEST)
    base_url = models.URLField(max_length=300)
    credentials_encrypted = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNCHECKED)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    callback_token = models.CharField(max_length=64, unique=True, default=new_callback_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "provider", "mode"], name="providers_connection_unique_per_mode"
            )
        ]
        ordering = ["merchant__name", "provider", "mode"]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.get_provider_display()} ({self.mode})"

    @property
    def spec(self):
        return get_spec(self.provider)

    @property
    def credentials(self) -> dict[str, str]:
        return crypto.decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, str]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(dict(value))

    def masked_credentials(self) -> dict[str, str]:
        """Name → at most the last four characters, for pages, admin and API; a
        credential the spec calls public (a public key) is shown in full."""
        public = self.spec.public_credentials
        try:
            return {
                name: value if name in public else mask_secret(value)
                for name, value in sorted(self.credentials.items())
            }
        except crypto.DecryptionError:
            return {"(unreadable)": "keys changed: re-enter the credentials"}

    def callback_path(self) -> str:
        return f"/callbacks/{self.provider}/{self.callback_token}/"


class WebhookEvent(models.Model):
    """A callback as it arrived, stored before anything else happens. Untrusted: the
    providers sign nothing Paydesk can check, so a task confirms each one with the
    provider's status call before it changes any record (see the sync issue).

    The body is kept twice whenever masking changed it, because "exactly what arrived"
    and "no PAN, CVV or OTP in the database in clear" cannot both hold for one column:
    - ``body_encrypted``: the exact bytes received (whatever they are: a NUL byte,
      invalid UTF-8, a form), encrypted with the project's Fernet keys like the
      connection credentials, whenever ``body`` differs from them (``body_redacted``);
      when it does not, ``body`` is those bytes (its SHA-256 is ``body_sha256``) and no
      second copy is kept. ``raw_body()`` gives them back either way. This is the
      evidence, and what a task parses.
    - ``body``: text for people (admin, API, search), decoded as UTF-8 with anything
      undecodable (and NUL, which PostgreSQL text refuses) shown as U+FFFD, then masked:
      PANs (first six / last four), the connection's secrets, and by key in JSON and
      form bodies CVV, OTP, IPIN, PIN, expiry, passwords and tokens
      (``redaction.redact_text_body``). ``body_redacted`` says whether that text
      differs from what arrived.
    Header values are masked by name and by value alike. ``body_sha256`` is of the
    bytes as received and, with the connection, identifies a replay.

    Processing (``payments.callbacks``): ``pending`` until a worker claims it
    (``processing``, with ``claimed_at`` as a lease and ``attempts`` counted), then
    ``processed`` (confirmed by the provider and applied, or already so), ``ignored``
    (changed nothing: ``outcome`` says why) or ``failed`` (could not be read or
    confirmed after every retry: ``error`` says why). ``external_id`` is the provider's
    transaction id as the body names it, untrusted like the rest."""

    class Processing(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"
        IGNORED = "ignored", "Ignored"

    # Every index is written by each callback the URL stores (the hot path). The
    # connection's own is left out: the unique (connection, body_sha256) and the
    # (connection, -received_at) indexes serve its lookups and cascades. So is one on
    # provider alone: five values, the admin's filter reads the received_at order.
    connection = models.ForeignKey(
        ProviderConnection, on_delete=models.CASCADE, related_name="webhook_events", db_index=False
    )
    provider = models.CharField(max_length=20, choices=PROVIDER_CHOICES)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_received_at = models.DateTimeField(auto_now_add=True)
    times_received = models.PositiveIntegerField(default=1)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    body_encrypted = models.BinaryField(editable=False, default=b"")
    body_redacted = models.BooleanField(default=False)
    body_sha256 = models.CharField(max_length=64)
    trusted = models.BooleanField(default=False)
    processing = models.CharField(max_length=10, choices=Processing.choices, default=Processing.PENDING)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker claimed it")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When the current claim was taken")
    outcome = models.CharField(max_length=300, blank=True, help_text="What applying it did, or why it did nothing")
    external_id = models.CharField(max_length=100, blank=True, help_text="The provider's transaction id, as sent")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "body_sha256"], name="providers_webhook_event_once")
        ]
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["processing", "received_at"]),
            # The callbacks page: a connection's latest events.
            models.Index(fields=["connection", "-received_at"], name="providers_webhook_by_conn"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} callback #{self.pk} ({self.processing})"

    def raw_body(self) -> bytes | None:
        """The exact bytes received: the encrypted copy, or else ``body`` if it is them
        (its hash is that of the bytes received); None for an event stored before the
        bytes were kept whose text was masked."""
        if not self.body_encrypted:
            shown = self.body.encode("utf-8")
            return shown if hashlib.sha256(shown).hexdigest() == self.body_sha256 else None
        try:
            return crypto.fernet().decrypt(bytes(self.body_encrypted))
        except InvalidToken as e:
            raise crypto.DecryptionError("This callback's body cannot be decrypted with the configured keys.") from e
