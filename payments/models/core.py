"""The money: transactions with their event timeline, EnigmaPay IBANs with balance
snapshots, and idempotency keys.

Policy that is not obvious:
- A transaction's status changes only through ``payments.transitions`` (under
  ``select_for_update``, writing a ``TransactionEvent`` in the same database
  transaction); nothing else assigns ``status``.
- A transaction that moves money is saved (and committed) *before* the provider is
  called, so that a crash or a lost answer leaves a row to resolve, never a payment
  Paydesk does not know about.
- Amounts are ``DecimalField`` in the currency's major unit (lira, dollars, rupees)
  with their ISO 4217 currency; never float. Provider packages convert at the wire.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from accounts.models import Customer, Merchant
from providers.models import ProviderConnection
from providers.registry import PROVIDER_CHOICES

# Crockford-like alphabet without look-alikes (0/O, 1/I/L): references get read aloud.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """Paydesk's own id for a transaction, shown to people and sent to providers
    (EnigmaPay gets it in the payout description, so a lost answer can be found)."""
    return "PD-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"
    CANCELLED = "cancelled", "Cancelled"
    UNKNOWN = "unknown", "Unknown"


class Kind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    PAYOUT = "payout", "Payout"
    REFUND = "refund", "Refund"
    ORDER = "order", "Order"
    SETTLEMENT = "settlement", "Settlement"
    PAYMENT_LINK = "payment_link", "Payment link"


MONEY = {"max_digits": 18, "decimal_places": 2}


class Transaction(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="transactions")
    connection = models.ForeignKey(ProviderConnection, on_delete=models.PROTECT, related_name="transactions")
    provider = models.CharField(max_length=20, choices=PROVIDER_CHOICES)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reference = models.CharField(max_length=20, default=new_reference, editable=False)
    external_id = models.CharField(max_length=100, blank=True, help_text="The provider's id, once known")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    raw_status = models.CharField(max_length=60, blank=True, help_text="The provider's own word")
    description = models.CharField(max_length=200, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_error = models.TextField(blank=True, help_text="The provider's reason for the last refusal")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    sync_attempts = models.PositiveIntegerField(default=0)
    # Set when the sync gave up after its bound (payments.sync.policy): a person must look.
    needs_attention_since = models.DateTimeField(null=True, blank=True)
    attention_reason = models.CharField(max_length=300, blank=True)
    # A sync worker's claim on the row (payments.sync.transactions): until then, no other takes it.
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "reference"], name="payments_tx_reference_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_tx_amount_positive"),
        ]
        indexes = [
            # Keyset pagination and every list filter start with the merchant.
            models.Index(fields=["merchant", "-created_at", "-id"], name="payments_tx_list"),
            models.Index(fields=["merchant", "status", "-created_at"], name="payments_tx_status"),
            models.Index(fields=["merchant", "provider", "-created_at"], name="payments_tx_provider"),
            # Status and provider together, the list's commonest pair ("failed on Vospay"):
            # either index alone reads every row of the other's value to find a few.
            models.Index(fields=["merchant", "provider", "status", "-created_at", "-id"],
                         name="payments_tx_provider_status"),
            models.Index(fields=["merchant", "kind", "-created_at"], name="payments_tx_kind"),
            models.Index(fields=["merchant", "amount"], name="payments_tx_amount"),
            models.Index(fields=["merchant", "external_id"], name="payments_tx_external"),
            # The sync scheduler's "what is due" scan.
            models.Index(
                fields=["next_sync_at"], name="payments_tx_due", condition=models.Q(next_sync_at__isnull=False)
            ),
            # The home page's "needs attention" list.
            models.Index(
                fields=["merchant", "needs_attention_since"], name="payments_tx_attention",
                condition=models.Q(needs_attention_since__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()} {self.amount} {self.currency} ({self.status})"

    @property
    def is_final(self) -> bool:
        from payments.transitions import is_final

        return is_final(self.status)


class SyncRun(models.Model):
    """One run of a sync task for one connection: what it did and how it ended.

    The latest run of a (task, connection) is that connection's sync health on the
    dashboard; a failed run's ``next_attempt_at`` holds the whole connection back
    (backoff) while the other connections go on."""

    class Task(models.TextChoices):
        TRANSACTIONS = "transactions", "Transaction status"
        BALANCES = "balances", "IBAN balances"
        SETTLEMENTS = "settlements", "EnKash settlements"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"

    task = models.CharField(max_length=20, choices=Task.choices)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="sync_runs")
    connection = models.ForeignKey(ProviderConnection, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Transactions (or IBANs) taken in this run")
    done = models.PositiveIntegerField(default=0, help_text="Asked, whatever the answer")
    changed = models.PositiveIntegerField(default=0, help_text="Whose status changed")
    failed = models.PositiveIntegerField(default=0, help_text="Whose status call failed")
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a failing connection is tried again (its backoff)"
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    # A balance run that was allowed to call EnigmaPay (the minute's one read).
    fresh_read = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "task", "-created_at"], name="payments_syncrun_latest")]
        verbose_name = "sync run"

    def __str__(self) -> str:
        return f"{self.get_task_display()} · {self.connection} · {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class TransactionEvent(models.Model):
    """One entry of a transaction's timeline: every status change writes one, in the
    same database transaction as the change."""

    class Source(models.TextChoices):
        USER = "user", "Dashboard user"
        API_KEY = "api_key", "API key"
        SYNC = "sync", "Status sync"
        CALLBACK = "callback", "Provider callback"
        SYSTEM = "system", "Paydesk"

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    actor = models.CharField(max_length=150, blank=True, help_text="Who: a user name or an API key's name")
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    raw_status = models.CharField(max_length=60, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["transaction", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status or '·'} → {self.to_status} ({self.source})"


class PayoutDetail(models.Model):
    """Where a payout goes (EnigmaPay send-money)."""

    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="payout")
    username = models.CharField(max_length=100, help_text="The customer's username at the provider")
    customer_iban = models.CharField(max_length=34, db_index=True)
    customer_name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"{self.customer_name} {self.customer_iban}"


class PaymentLinkDetail(models.Model):
    """A card payment link (EnigmaPay credit-card/payment) and whom it is for."""

    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="payment_link")
    username = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(db_index=True)
    phone = models.CharField(max_length=32, db_index=True)
    order_id = models.CharField(max_length=100, blank=True)
    payment_url = models.URLField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.payment_url or f"link for {self.email}"


class IbanAccount(models.Model):
    """An IBAN EnigmaPay assigned to the merchant's dealer account, with its latest balance."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="ibans")
    connection = models.ForeignKey(ProviderConnection, on_delete=models.CASCADE, related_name="ibans")
    external_id = models.BigIntegerField(help_text="EnigmaPay's IBAN id")
    iban = models.CharField(max_length=34)
    owner_name = models.CharField(max_length=200, blank=True)
    bank_name = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    raw_status = models.CharField(max_length=40, blank=True)
    balance = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, default="TRY")
    balance_at = models.DateTimeField(null=True, blank=True, help_text="When Paydesk last read the balance")
    # When a refresh last claimed its once-a-minute slot (see services.balances).
    refresh_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["merchant", "iban"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="payments_iban_unique")
        ]
        verbose_name = "IBAN account"

    def __str__(self) -> str:
        return f"{self.iban} ({self.bank_name})"


class BalanceSnapshot(models.Model):
    iban = models.ForeignKey(IbanAccount, on_delete=models.CASCADE, related_name="snapshots")
    at = models.DateTimeField(auto_now_add=True)
    balance = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["iban", "-at"])]

    def __str__(self) -> str:
        return f"{self.iban.iban} {self.balance} {self.currency} at {self.at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """One use of an ``Idempotency-Key`` (API) or a one-time form token (pages).

    The unique (merchant, key) constraint is what makes a concurrent duplicate lose:
    the second insert fails and that request replays or waits instead of moving money."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=60, help_text="The operation, e.g. api:payouts or form:payout")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request it was first used with")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    transaction = models.ForeignKey(Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="payments_idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:12]}"
