"""``{{ amount|minor_units:currency }}``: an amount with its currency's own exponent
(IDR has none, AUD and the others two), from ``providers.base.money``."""

from decimal import Decimal, InvalidOperation

from django import template

from providers.base.money import CURRENCY_EXPONENTS

register = template.Library()


@register.filter
def minor_units(amount, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    places = CURRENCY_EXPONENTS.get(currency, 2)
    return f"{value.quantize(Decimal(1).scaleb(-places)):,}"
