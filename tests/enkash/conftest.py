"""EnKash desk tests: the demo merchant's EnKash connection on the sandbox, quick
completions, notifies sent nowhere unless a test says otherwise, and the payer."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from payments.models import Transaction
from payments.services.common import Actor


@pytest.fixture(autouse=True)
def _quick_enkash(sandbox, settings):
    # Notifies go to a closed local port unless a test points Paydesk's public URL at
    # its live server.
    settings.PAYDESK_PUBLIC_URL = "http://127.0.0.1:9"
    sandbox.sandbox("enkash").configure({"completion_delay": 0.2})
    # Each test's sandbox has forgotten the tokens it issued: so does this process.
    from providers.enkash import tokens

    tokens._copies.clear()


@pytest.fixture
def actor(members):
    return Actor.for_user(members["manager"])


def new_order(connection, actor, amount="1000.00", **overrides) -> Transaction:
    from payments.services.enkash import order_create

    fields = {"amount": amount, "customer_first_name": "Asha", "customer_last_name": "Rao",
              "customer_email": "asha@example.com", "customer_phone": "9876543210",
              "return_url": "https://shop.example/return", "description": "Two notebooks", **overrides}
    return order_create(connection=connection, actor=actor, **fields)


def payer_pays(sandbox, order: Transaction, outcome: str = "success") -> dict:
    """The payer pays the order's open UPI attempt (sandbox control route)."""
    enkash_id = order.enkash_order.enkash_order_id
    answer = requests.post(f"{sandbox.base_url('enkash')}/_simulate/orders/{enkash_id}/pay",
                           json={"outcome": outcome}, timeout=5)
    answer.raise_for_status()
    return answer.json()["payload"]


def paid_order(sandbox, connection, actor, amount="1000.00"):
    """An order paid by UPI and synced: (order, its succeeded payment)."""
    from payments.services.enkash import order_check_status

    order = new_order(connection, actor, amount=amount)
    payer_pays(sandbox, order)
    order_check_status(order=order, actor=Actor.sync())
    payment = order.children.get(kind="payment")
    assert payment.status == "succeeded"
    return order, payment


def inr(value: str) -> Decimal:
    return Decimal(value)
