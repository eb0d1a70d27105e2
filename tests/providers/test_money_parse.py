"""Money.parse reads an amount only when the text can mean one amount: a decimal point,
and commas only between thousands groups."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.base.money import InvalidAmount, Money


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234.50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1,234,567", "1234567"),
        ("12,345,678.9", "12345678.9"),
        ("-1,234.50", "-1234.50"),
        ("0.01", "0.01"),
        ("200", "200"),
    ],
)
def test_plain_and_thousands_grouped_amounts_are_read(text, amount):
    parsed = Money.parse(text, "TRY").amount
    assert parsed == Decimal(amount)
    assert str(parsed) == amount  # the exact digits, scale included


@pytest.mark.parametrize("text", ["12,5", "1,50", "1,234", "1234,56", "1.234,56", "1,2345.00", "12,34,567.00",
                                  "1,,234.00", ",123.00", "0,123.00", "1,234.", "1,234.5,0"])
def test_ambiguous_commas_are_refused_not_stripped(text):
    with pytest.raises(InvalidAmount, match="Ambiguous amount"):
        Money.parse(text, "TRY")


@pytest.mark.parametrize("text", ["", " 12.50", "12.50 ", "1e3", "+5", "1_000", ".5", "5.", "١٢٣", "12.5.0", "0x10",
                                  "NaN", "-Infinity", "12 TRY"])
def test_anything_else_that_is_not_plain_digits_is_refused(text):
    with pytest.raises(InvalidAmount, match="Not an amount"):
        Money.parse(text, "TRY")


def test_non_finite_decimals_and_other_types_are_refused():
    for value in (Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), [1], b"12"):
        with pytest.raises(InvalidAmount):
            Money.parse(value, "TRY")


amounts = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False)


@given(amount=amounts)
def test_plain_and_grouped_text_round_trip(amount):
    assert Money.parse(f"{amount:f}", "TRY").amount == amount
    grouped = f"{amount:,.2f}"
    assert Money.parse(grouped, "TRY").amount == amount


@given(whole=st.integers(min_value=0, max_value=10**9), fraction=st.text("0123456789", min_size=1, max_size=2))
def test_a_decimal_comma_is_never_read_as_thousands(whole, fraction):
    with pytest.raises(InvalidAmount):
        Money.parse(f"{whole},{fraction}", "TRY")


@given(text=st.text("0123456789,.-", max_size=14))
def test_whatever_is_read_is_what_the_text_says_with_a_decimal_point(text):
    """Any accepted text has its commas only as thousands separators: removing them
    gives the same number, and putting them back gives the same text."""
    try:
        amount = Money.parse(text, "TRY").amount
    except InvalidAmount:
        return
    assert amount == Decimal(text.replace(",", ""))
    if "," in text:
        whole, _, fraction = text.partition(".")
        assert "," not in fraction
        digits = whole.lstrip("-").replace(",", "")
        assert f"{int(digits):,}" == whole.lstrip("-")  # exactly the standard grouping
