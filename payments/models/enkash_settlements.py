"""EnKash settlements and QR codes (issue 9).

Policy that is not obvious:
- A settlement payout is a ``Transaction`` (kind settlement, provider enkash, external
  id = EnKash's payout id), so its status moves only through ``payments.transitions``
  and it has the shared timeline. Its amount is the net ``settlementAmount`` paid to the
  merchant's bank. A payout that pays nothing (refunds ate the sales: the shortfall is
  carried forward) still needs a positive ``Transaction.amount`` (a core constraint), so
  it records the gross volume settled instead and says so in its description; the
  settlement pages always show the net amount from ``SettlementDetail``.
- A settled item is matched to Paydesk's own transaction by external id within the same
  connection (EnKash's transaction id, or for a refund line its refund id); an item
  Paydesk does not know keeps ``matched`` empty and is shown as unmatched.
- A QR code moves no money by itself: it is its own model, not a Transaction. Its PNG
  is kept as EnKash drew it, so the detail page never waits on EnKash to show it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Merchant
from payments.models.core import MONEY, Transaction, TransactionEvent
from providers.models import ProviderConnection

__all__ = ["QrCode", "QrCodeEvent", "QrCustomer", "SettledItem", "SettlementDetail"]


class SettlementDetail(models.Model):
    """What EnKash says about one settlement payout (totals in INR)."""

    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="settlement")
    payout_mode = models.CharField(max_length=20, blank=True, help_text="IMPS, NEFT...")
    utr = models.CharField(max_length=40, blank=True, help_text="The bank's unique transfer reference")
    payout_date = models.DateField(null=True, blank=True)
    total_sales = models.DecimalField(**MONEY)
    total_refunds = models.DecimalField(**MONEY)
    total_charges = models.DecimalField(**MONEY)
    total_gst = models.DecimalField(**MONEY)
    settlement_amount = models.DecimalField(**MONEY)
    carry_forward_amount = models.DecimalField(**MONEY)
    adjustment_amount = models.DecimalField(**MONEY)
    transaction_count = models.PositiveIntegerField(default=0)
    # When the settled items were read (GET settlement-payout/{id}); the search leaves them out.
    items_read_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(default=timezone.now, help_text="When EnKash last listed it")

    class Meta:
        indexes = [
            models.Index(fields=["utr"], name="payments_settle_utr"),
            models.Index(fields=["payout_date"], name="payments_settle_date"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction.external_id} {self.settlement_amount} INR ({self.utr or 'no UTR yet'})"

    @property
    def deductions(self):
        """What EnKash kept: its charges and the GST on them."""
        return self.total_charges + self.total_gst


class SettledItem(models.Model):
    """One line of a settlement: a sale (or refund) EnKash paid out (or deducted)."""

    class Type(models.TextChoices):
        SALE = "SALE", "Sale"
        REFUND = "REFUND", "Refund"

    settlement = models.ForeignKey(SettlementDetail, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=100, help_text="EnKash's transaction (or refund) id")
    order_id = models.CharField(max_length=100, blank=True)
    type = models.CharField(max_length=20)
    amount = models.DecimalField(**MONEY)
    charges = models.DecimalField(**MONEY)
    gst = models.DecimalField(**MONEY)
    net_amount = models.DecimalField(max_digits=18, decimal_places=2)  # negative for a refund line
    matched = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="settled_items",
        help_text="Paydesk's own transaction with this external id on the same connection",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "external_id"], name="payments_settled_item_unique")
        ]
        indexes = [models.Index(fields=["external_id"], name="payments_settled_item_ext")]

    def __str__(self) -> str:
        return f"{self.type} {self.external_id} {self.amount}"


class QrCustomer(models.Model):
    """A customer EnKash knows for static QR codes."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="qr_customers")
    connection = models.ForeignKey(ProviderConnection, on_delete=models.CASCADE, related_name="qr_customers")
    external_id = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=254, blank=True)
    mobile = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="payments_qr_customer_unique")
        ]
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="payments_qrcust_list"),
            models.Index(fields=["merchant", "mobile"], name="payments_qrcust_mobile"),
        ]
        verbose_name = "QR customer"

    def __str__(self) -> str:
        return f"{self.name} ({self.mobile or self.email or self.external_id})"


class QrCode(models.Model):
    """A static UPI QR code at EnKash (single or multiple use, fixed or open amount)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="qr_codes")
    connection = models.ForeignKey(ProviderConnection, on_delete=models.CASCADE, related_name="qr_codes")
    external_id = models.CharField(max_length=100, help_text="EnKash's qrCodeId")
    name = models.CharField(max_length=50)
    multiple_use = models.BooleanField(default=False)
    fixed_amount = models.BooleanField(default=False)
    amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Only for a fixed amount")
    description = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    raw_status = models.CharField(max_length=40, blank=True)
    customer = models.ForeignKey(QrCustomer, null=True, blank=True, on_delete=models.SET_NULL, related_name="qr_codes")
    customer_name = models.CharField(max_length=100, blank=True)
    upi_url = models.TextField(blank=True)
    png = models.BinaryField(editable=False)
    payments_count = models.PositiveIntegerField(default=0)
    amount_received = models.DecimalField(**MONEY, default=0)
    # The page's one-time form token or the API's Idempotency-Key that made it.
    request_key = models.CharField(max_length=300, null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="payments_qr_code_unique"),
            models.UniqueConstraint(fields=["merchant", "request_key"], name="payments_qr_code_request_key"),
        ]
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="payments_qr_list"),
            models.Index(fields=["merchant", "external_id"], name="payments_qr_external"),
        ]
        verbose_name = "QR code"

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_used_up(self) -> bool:
        return not self.multiple_use and self.payments_count > 0

    @property
    def state(self) -> str:
        """What a person needs to know: active, cancelled, expired or used."""
        if self.status == self.Status.CANCELLED:
            return "cancelled"
        if self.is_expired:
            return "expired"
        if self.is_used_up:
            return "used"
        return "active"

    @property
    def state_css(self) -> str:
        """The status badge's colour for ``state``."""
        return {"active": "succeeded", "cancelled": "cancelled"}.get(self.state, "inactive")

    @property
    def can_cancel(self) -> bool:
        return self.status == self.Status.ACTIVE


class QrCodeEvent(models.Model):
    """One entry of a QR code's timeline (created, cancelled, paid, refreshed)."""

    qr_code = models.ForeignKey(QrCode, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=10, choices=TransactionEvent.Source.choices)
    actor = models.CharField(max_length=150, blank=True)
    note = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.note[:60]
