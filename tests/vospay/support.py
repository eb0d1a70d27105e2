"""Shared by the Vospay desk tests: an order with two items, and the customer's side of
the checkout done with the real client against the sandbox (what issue 10's pages do):
sign in → authorize → transaction OTP → confirm → finalize."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from payments.services.common import Actor
from payments.services.vospay import vospay_order_create
from providers.base.money import Money
from providers.vospay import sandbox as vs
from providers.vospay.types import AuthorizedTransaction, InstallmentPlan, OrderItem
from tests.helpers import fast_client

NOTIFY = "http://127.0.0.1:9/notify"  # nothing listens: delivery fails quietly, state still moves
SITI_MPM = "2340010000000001"
TWO_ITEMS = [{"name": "Headphones", "quantity": "2", "unit_price": "10000"},
             {"name": "Phone case", "quantity": "1", "unit_price": "5000"}]
# 2 x 10,000 + 5,000 + shipping 5,000 + processing fee 100 = 30,100 (the doc's example)
GROSS = Decimal("30100")


def idr(value) -> Money:
    return Money(Decimal(value), "IDR")


def make_order(connection, *, actor=None, **overrides):
    fields = {"items": TWO_ITEMS, "shipping_cost": "5000", "insurance_cost": "0", "processing_fee": "100",
              "tax": "0", "customer_name": "Siti Rohanah", "customer_phone": vs.PHONE_SITI, **overrides}
    return vospay_order_create(connection=connection, actor=actor or Actor.system(), **fields)


@dataclass
class Checkout:
    authorized: AuthorizedTransaction
    plan: InstallmentPlan


def customer_authorizes(sandbox, order, *, phone=vs.PHONE_SITI, account=SITI_MPM, merchant_key=None) -> tuple:
    client = fast_client(sandbox, "vospay")
    client.send_otp(phone=phone, action="activation")
    token = client.create_access_token(strategy="otp", phone=phone, code=vs.TEST_OTP).token
    detail = order.vospay_order
    authorized = client.authorize_transaction(
        access_token=token, vospay_number=account, order_id=order.reference,
        items=[OrderItem(i.name, i.quantity, idr(i.unit_price)) for i in detail.items.all()],
        shipping_cost=idr(detail.shipping_cost), insurance_cost=idr(detail.insurance_cost),
        processing_fee=idr(detail.processing_fee), tax=idr(detail.tax),
        merchant_key=merchant_key or detail.merchant_key,
    )
    return client, authorized


def customer_finalizes(sandbox, order, *, plan_id="2", phone=vs.PHONE_SITI, notify_url=NOTIFY) -> Checkout:
    """The whole customer side; returns what the checkout would hand to the finalized hook."""
    client, authorized = customer_authorizes(sandbox, order, phone=phone)
    plan = next(p for p in authorized.installment_plans if p.installment_id == plan_id)
    client.send_otp(phone=phone, action="transaction", gross_amount=authorized.gross_amount,
                    merchant_key=order.vospay_order.merchant_key)
    confirm = client.create_access_token(strategy="otp", phone=phone, code=vs.TEST_OTP).token
    client.finalize_transaction(access_token=confirm, transaction_id=authorized.transaction_id,
                                installment_id=plan_id, notify_url=notify_url)
    return Checkout(authorized, plan)
