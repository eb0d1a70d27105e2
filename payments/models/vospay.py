"""Vospay installment orders (BNPL) and the contract each becomes.

An order is a ``Transaction`` (kind ``order``, provider ``vospay``, IDR, amount = the
gross amount) with a ``VospayOrder`` holding what Vospay's authorize-transaction needs
(items, the four costs, the merchant key) and, once the customer finalized and Vospay
verified it, the contract's terms.

Policy that is not obvious:
- Vospay's ``orderID`` is the transaction's Paydesk ``reference``; Vospay's
  ``transactionID`` (minted at authorize) is its ``external_id``.
- The contract's status word (Pending, Approved, Edited, Cancelled, Refund, Fulfilled,
  Settled) is the transaction's ``raw_status``: it is only ever written from Vospay's
  confirmed answer (the finalized hook, a notify confirmed by verify-transaction), and
  the normalised ``status`` follows it through ``payments.transitions``.
- The checkout token is the customer's only key to the checkout page: 32 random bytes,
  unique, never derived from anything guessable.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import models

from payments.models.core import MONEY, Transaction

__all__ = ["VospayOrder", "VospayOrderItem", "new_checkout_token"]

CONTRACT_STATUSES = ("Pending", "Approved", "Edited", "Cancelled", "Refund", "Fulfilled", "Settled")


def new_checkout_token() -> str:
    return secrets.token_urlsafe(32)


class VospayOrder(models.Model):
    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="vospay_order")
    merchant_key = models.CharField(max_length=100, help_text="The Vospay connection's merchant key")
    checkout_token = models.CharField(max_length=64, unique=True, default=new_checkout_token, editable=False)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_phone = models.CharField(max_length=32, blank=True, db_index=True)
    shipping_cost = models.DecimalField(**MONEY, default=Decimal("0"))
    insurance_cost = models.DecimalField(**MONEY, default=Decimal("0"))
    processing_fee = models.DecimalField(**MONEY, default=Decimal("0"))
    tax = models.DecimalField(**MONEY, default=Decimal("0"))
    # The contract, once the customer finalized (issue 10's checkout) and Vospay verified it.
    installment_id = models.CharField(max_length=20, blank=True, help_text="The plan the customer chose")
    period = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Months")
    monthly_payment = models.DecimalField(**MONEY, null=True, blank=True)
    interest_rate = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True,
                                        help_text="Flat over the whole tenor")
    contract_number = models.CharField(max_length=40, blank=True, db_index=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True, help_text="When verify-transaction said Valid")
    # Set (and committed) by the checkout before finalize-transaction goes out; cleared
    # only when Vospay's answer proves nothing moved. While set, no second finalize is sent.
    finalize_sent_at = models.DateTimeField(null=True, blank=True,
                                            help_text="When the checkout sent finalize-transaction")

    class Meta:
        verbose_name = "Vospay order"
        indexes = [
            models.Index(fields=["finalized_at"], name="payments_vospay_finalized",
                         condition=models.Q(finalized_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"Vospay order {self.transaction.reference}"

    @property
    def order_id(self) -> str:
        return self.transaction.reference

    @property
    def transaction_id(self) -> str:
        return self.transaction.external_id

    @property
    def contract_status(self) -> str:
        raw = self.transaction.raw_status
        return raw if raw in CONTRACT_STATUSES else ""

    @property
    def has_contract(self) -> bool:
        return self.finalized_at is not None or bool(self.contract_status)

    @property
    def at_checkout(self) -> bool:
        """The customer has started: Vospay knows a transaction for this order."""
        return bool(self.transaction.external_id)

    @property
    def interest_percent(self) -> Decimal | None:
        return None if self.interest_rate is None else (self.interest_rate * 100).normalize()

    @property
    def costs(self) -> list[tuple[str, Decimal]]:
        return [("Shipping", self.shipping_cost), ("Insurance", self.insurance_cost),
                ("Processing fee", self.processing_fee), ("Tax", self.tax)]


class VospayOrderItem(models.Model):
    """One line: ``unit_price`` is per piece (Vospay's ``price``, see its README quirk 6)."""

    order = models.ForeignKey(VospayOrder, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="payments_vospay_item_position"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="payments_vospay_item_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"

    @property
    def line_total(self) -> Decimal:
        return self.quantity * self.unit_price
