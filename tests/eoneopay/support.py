"""Builders for the EoneoPay tests: customers made at the sandbox through the service."""

from __future__ import annotations

from payments.services import eoneopay as service
from payments.services.common import Actor
from providers.eoneopay import testdata

CVV = "602"
EXPIRY = "05/29"


def system() -> Actor:
    return Actor.system()


def make_customer(connection, *, number: str = testdata.CARD_APPROVED_VISA, cvv: str = CVV, name="Ann Example",
                  email="ann@example.test", bank: bool = True):
    cards = [service.card_checked(number, EXPIRY, cvv)] if number else []
    banks = [service.bank_checked("Ann Example", "12881899", "012003")] if bank else []
    return service.customer_create(connection=connection, actor=system(), name=name, email=email,
                                   address="1 Line\nSydney NSW", cards=cards, bank_accounts=banks)


def charge(connection, card, amount="742.00", reference="Order 1001", **kwargs):
    return service.payment_charge(connection=connection, actor=system(), card=card, amount=amount,
                                  reference=reference, **kwargs)
