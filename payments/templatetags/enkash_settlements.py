"""Amounts in INR as an Indian reader expects them: two decimals (INR's exponent) and
lakh / crore grouping (12,34,567.50)."""

from decimal import Decimal, InvalidOperation

from django import template

from providers.base.money import CURRENCY_EXPONENTS

register = template.Library()


def indian_grouping(value) -> str:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    places = CURRENCY_EXPONENTS["INR"]
    text = f"{abs(amount):.{places}f}"
    whole, _, fraction = text.partition(".")
    if len(whole) > 3:
        head, tail = whole[:-3], whole[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        whole = ",".join([head, *groups, tail]) if head else ",".join([*groups, tail])
    return ("-" if amount < 0 else "") + whole + ("." + fraction if fraction else "")


@register.filter
def inr(value) -> str:
    """1234567.5 → "12,34,567.50 INR"; empty for no value."""
    if value is None or value == "":
        return ""
    return f"{indian_grouping(value)} INR"
