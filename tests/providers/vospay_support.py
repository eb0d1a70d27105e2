"""Shared by the Vospay test modules: rupiah amounts, a closed notify address, and a
customer signed in with the sandbox's test OTP. Clients come from ``tests.helpers.fast_client``
(the sandbox's demo merchant key is ``sbx_mk_bukalapak``)."""

from __future__ import annotations

from decimal import Decimal

from providers.base.money import Money
from providers.vospay import sandbox as vs

NOTIFY = "http://127.0.0.1:9/notify"  # nothing listens: delivery fails quietly, state still moves


def idr(value) -> Money:
    return Money(Decimal(value), "IDR")


def sign_in(client, phone=vs.PHONE_SITI, action="activation", gross=None) -> str:
    """An access token bought with an OTP sent to ``phone`` for ``action``."""
    client.send_otp(phone=phone, action=action, gross_amount=gross)
    return client.create_access_token(strategy="otp", phone=phone, code=vs.TEST_OTP).token
