"""EoneoPay: customers with tokenised cards and bank accounts, the card a payment was
charged to, and the API keys Paydesk created.

Policy that is not obvious:
- Card numbers and CVVs go to EoneoPay and nowhere else. A stored card is its token,
  type, expiry and masked PAN (first six / last four digits at most).
- A bank account is kept masked too (its last three digits and the BSB): EoneoPay's
  update replaces the whole record, so an update reads the customer back from EoneoPay
  and sends its own numbers again; Paydesk never needs the clear number.
- A created API key is shown once; Paydesk keeps it encrypted (to look it up and revoke
  it) and a hint for people, never the key in clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Merchant
from payments.models.core import Transaction
from providers.models import ProviderConnection

__all__ = ["EoneoPayApiKey", "EoneoPayBankAccount", "EoneoPayCard", "EoneoPayCustomer", "EoneoPayPaymentDetail"]


class EoneoPayCustomer(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="eoneopay_customers")
    connection = models.ForeignKey(ProviderConnection, on_delete=models.PROTECT, related_name="eoneopay_customers")
    external_id = models.CharField(max_length=100, help_text="EoneoPay's customer id (cus_...)")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Deleted at EoneoPay")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="payments_eoneopay_customer_unique")
        ]
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="payments_eoneopay_cus_list"),
            models.Index(fields=["merchant", "email"], name="payments_eoneopay_cus_email"),
        ]
        verbose_name = "EoneoPay customer"

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class EoneoPayCard(models.Model):
    """A tokenised card. The token charges it; nothing here can rebuild the number."""

    customer = models.ForeignKey(EoneoPayCustomer, on_delete=models.CASCADE, related_name="cards")
    token = models.CharField(max_length=64)
    masked_pan = models.CharField(max_length=19, help_text="First six / last four digits at most")
    expiry_date = models.CharField(max_length=5, help_text="MM/YY")
    card_type = models.CharField(max_length=10, help_text="EoneoPay's code: 2 Amex, 5 Master Card, 6 Visa")
    description = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Removed from the customer at EoneoPay")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "token"], name="payments_eoneopay_card_unique")]
        verbose_name = "EoneoPay card"

    def __str__(self) -> str:
        return f"{self.description or 'Card'} {self.masked_pan} ({self.expiry_date})"

    @property
    def label(self) -> str:
        return f"{self.description or 'Card'} ···{self.last_digits} exp {self.expiry_date}"

    @property
    def last_digits(self) -> str:
        digits = "".join(c for c in self.masked_pan if c.isdigit())
        return digits[6:] if len(digits) > 6 else digits[-3:]


class EoneoPayBankAccount(models.Model):
    customer = models.ForeignKey(EoneoPayCustomer, on_delete=models.CASCADE, related_name="bank_accounts")
    name = models.CharField(max_length=200)
    masked_number = models.CharField(max_length=20, help_text="The last three digits at most")
    branch = models.CharField(max_length=6, help_text="BSB")

    class Meta:
        ordering = ["id"]
        verbose_name = "EoneoPay bank account"

    def __str__(self) -> str:
        return f"{self.name} {self.branch} {self.masked_number}"


class EoneoPayPaymentDetail(models.Model):
    """Which stored card a payment charged, and the reference EoneoPay got."""

    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="eoneopay")
    customer = models.ForeignKey(EoneoPayCustomer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="payments")
    card = models.ForeignKey(EoneoPayCard, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments")
    masked_pan = models.CharField(max_length=19)
    card_description = models.CharField(max_length=60, blank=True)
    reference = models.CharField(max_length=60, help_text="As sent to EoneoPay (the merchant's and Paydesk's)")

    class Meta:
        indexes = [models.Index(fields=["reference"], name="payments_eoneopay_pay_ref")]
        verbose_name = "EoneoPay payment detail"

    def __str__(self) -> str:
        return f"{self.reference} {self.masked_pan}"


class EoneoPayApiKey(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="eoneopay_api_keys")
    connection = models.ForeignKey(ProviderConnection, on_delete=models.CASCADE, related_name="eoneopay_api_keys")
    mode = models.CharField(max_length=4)
    key_encrypted = models.TextField(editable=False)
    hint = models.CharField(max_length=40, help_text="The prefix and last four characters")
    public_key = models.CharField(max_length=100, blank=True)
    permissions = models.CharField(max_length=10, blank=True)
    raw_status = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=10, default="active")
    checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "EoneoPay API key"

    def __str__(self) -> str:
        return f"{self.hint} ({self.status})"
