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


# -- records of a merchant, for the cross-tenant walkers (no sandbox needed) ----------------
def eoneopay_connection_record(merchant):
    from providers.models import ProviderConnection
    from tests.factories import ConnectionFactory

    found = ProviderConnection.objects.filter(merchant=merchant, provider="eoneopay").first()
    return found or ConnectionFactory(merchant=merchant, provider="eoneopay")


def customer_record(merchant):
    from payments.models import EoneoPayCustomer

    connection = eoneopay_connection_record(merchant)
    return EoneoPayCustomer.objects.create(merchant=merchant, connection=connection, name="Theirs",
                                           external_id=f"cus_theirs{EoneoPayCustomer.objects.count()}")


def card_record(merchant):
    return customer_record(merchant).cards.create(token="8800000000000099", masked_pan="400000XXXXXXX099",
                                                  expiry_date="05/29", card_type="6", description="Visa")


def bank_record(merchant):
    return customer_record(merchant).bank_accounts.create(name="Theirs", masked_number="···899", branch="012003")


def api_key_record(merchant):
    from payments.models import EoneoPayApiKey
    from providers import crypto

    return EoneoPayApiKey.objects.create(merchant=merchant, connection=eoneopay_connection_record(merchant),
                                         mode="test", key_encrypted=crypto.encrypt_json({"key": "sk_test_x"}),
                                         hint="sk_test_…x")


def payment_record(merchant):
    from decimal import Decimal

    from payments.models import Transaction

    return Transaction.objects.create(merchant=merchant, connection=eoneopay_connection_record(merchant),
                                      provider="eoneopay", kind="payment", amount=Decimal("10.00"), currency="AUD",
                                      status="succeeded", external_id="273099")
