"""Shared by the EnKash test modules: the sandbox state, a fast client for the demo
merchant or another test merchant, and the order and card several modules use.

The fixtures are bound to names in each module (``sb, client = enkash.sb, enkash.client``);
a module that configures the sandbox defines its own ``sb``, which ``client`` then uses."""

from __future__ import annotations

from typing import Any

import pytest

from providers.enkash.client import CardDetail, EnKashClient
from providers.enkash.sandbox_data import TestMerchant
from tests.helpers import fast_client

# Notifies go to a closed local port: no test reaches out to the internet.
NOWHERE = "http://127.0.0.1:9/notify"

CARD_OK = CardDetail("Asha Rao", "4100000000000001", "123", "12/39")


def merchant_client(sandbox, merchant: TestMerchant, **overrides: Any) -> EnKashClient:
    """A fast client signed in as another test merchant (own session, so no cached token)."""
    return fast_client(sandbox, "enkash", access_key=merchant.access_key, secret_key=merchant.secret_key,
                       **overrides)


def order(client: EnKashClient, order_id: str = "ORD1", amount: str = "1000.00"):
    return client.create_order(order_id=order_id, amount=amount, return_url="https://shop.example/r",
                               notify_url=NOWHERE)


@pytest.fixture
def sb(sandbox):
    return sandbox.sandbox("enkash")


@pytest.fixture
def client(sandbox, sb) -> EnKashClient:
    return fast_client(sandbox, "enkash")
