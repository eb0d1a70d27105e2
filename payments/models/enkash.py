"""EnKash orders, their payments and refunds: the details a ``Transaction`` row does not hold.

- An order is a Transaction ``kind=order, provider=enkash``; its ``external_id`` is the
  ``orderId`` Paydesk chose (letters and digits: the reference without its dash), known
  before EnKash is called, so a lost answer can still be asked about.
- Each payment attempt EnKash reports is a Transaction ``kind=payment`` with
  ``parent`` = the order and ``external_id`` = EnKash's ``transactionId``.
- Each refund is a Transaction ``kind=refund`` with ``parent`` = the payment. Its
  ``requestId`` (unique: EnKash answers a repeat of it with the refund already made) is
  stored before the refund is sent; ``external_id`` is EnKash's ``refundId`` once known.
"""

from __future__ import annotations

from django.db import models

from payments.models.core import Transaction

__all__ = ["EnKashOrderDetail", "EnKashPaymentDetail", "EnKashRefundDetail"]


class EnKashOrderDetail(models.Model):
    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="enkash_order")
    order_id = models.CharField(max_length=40, help_text="The orderId Paydesk gave EnKash")
    enkash_order_id = models.CharField(max_length=40, blank=True)
    customer_first_name = models.CharField(max_length=100)
    customer_last_name = models.CharField(max_length=100, blank=True)
    customer_email = models.EmailField(blank=True, db_index=True)
    customer_phone = models.CharField(max_length=16, blank=True, db_index=True)
    return_url = models.URLField(max_length=500)
    checkout_url = models.URLField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "EnKash order"

    def __str__(self) -> str:
        return self.order_id

    @property
    def customer_name(self) -> str:
        return f"{self.customer_first_name} {self.customer_last_name}".strip()


class EnKashPaymentDetail(models.Model):
    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="enkash_payment")
    payment_mode = models.CharField(max_length=30, blank=True)
    masked_card = models.CharField(max_length=32, blank=True, help_text="First six / last four at most")
    bank_reference = models.CharField(max_length=60, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "EnKash payment"

    def __str__(self) -> str:
        return f"{self.payment_mode} {self.transaction.external_id}"


class EnKashRefundDetail(models.Model):
    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="enkash_refund")
    request_id = models.CharField(max_length=64, unique=True, help_text="Sent as requestId: a repeat is harmless")
    refund_id = models.CharField(max_length=40, blank=True)
    arn = models.CharField(max_length=60, blank=True, help_text="The bank's reference once refunded")
    remarks = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "EnKash refund"

    def __str__(self) -> str:
        return self.request_id
