from __future__ import annotations

from accounts.models import Customer, Merchant
from accounts.phones import phone_to_e164


def customer_get_or_create(*, merchant: Merchant, phone: str, name: str = "", country: str | None = None) -> Customer:
    """The merchant's customer with this phone, parsed for ``country`` (the provider's,
    defaulting to the merchant's) and stored in E.164. Raises InvalidPhone."""
    e164 = phone_to_e164(phone, country=country or merchant.country)
    customer, created = Customer.objects.get_or_create(merchant=merchant, phone=e164, defaults={"name": name})
    if not created and name and not customer.name:
        customer.name = name
        customer.save(update_fields=["name"])
    return customer
