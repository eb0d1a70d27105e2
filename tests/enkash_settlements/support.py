"""Shared by the settlement and QR tests: a paid order and a settlement run in the EnKash
sandbox, and signed-in clients."""

from __future__ import annotations

from decimal import Decimal

import requests
from django.test import Client

from payments.models import Kind, Transaction
from tests.helpers import fast_client
from tests.providers.enkash_support import CARD_OK, order


def paid_order(sandbox, order_id: str = "ORD1", amount: str = "1000.00"):
    """An order of the demo merchant, paid at once by card; returns the payment."""
    client = fast_client(sandbox, "enkash")
    order(client, order_id=order_id, amount=amount)
    return client.submit_payment_detail(order_id=order_id, amount=amount, payment_mode="CREDIT_CARD", card=CARD_OK)


def run_settlement(sandbox) -> dict:
    """EnKash's settlement cycle, now: one payout of everything paid since the last."""
    from providers.enkash.sandbox_data import DEMO_MERCHANT

    response = requests.post(f"{sandbox.base_url('enkash')}/_simulate/settlements",
                             json={"accessKey": DEMO_MERCHANT.access_key}, timeout=5)
    response.raise_for_status()
    return response.json()["payload"]["settlementPayouts"][0]


def own_payment(connection, external_id: str, amount: str = "1000.00") -> Transaction:
    """Paydesk's own record of an EnKash payment (as the orders desk would make it)."""
    return Transaction.objects.create(
        merchant=connection.merchant, connection=connection, provider="enkash", kind=Kind.PAYMENT,
        external_id=external_id, amount=Decimal(amount), currency="INR", status="succeeded",
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
