import logging
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.base.money import InvalidAmount, Money
from providers.base.redaction import (
    MASK,
    RedactingFilter,
    mask_pan,
    mask_secret,
    redact_mapping,
    register_secrets,
    scrub,
)


def test_mask_pan_keeps_first_six_and_last_four_at_most():
    assert mask_pan("4111 1111 1111 1111") == "411111******1111"
    assert mask_pan("5559039016093199") == "555903******3199"
    assert mask_pan("12345678") == "****5678"


def test_mask_secret_shows_only_the_last_four_of_long_values():
    assert mask_secret("sk_test_abcdefghijkl1234") == "••••1234"
    assert mask_secret("short") == "••••"
    assert mask_secret("") == ""


def test_redact_mapping_masks_sensitive_keys_at_any_depth():
    body = {"user_phone": "249912345678", "user_password": "hunter2!", "card": {"pan": "4111", "cvv": "123"},
            "items": [{"ipin": "0000"}], "X-Api-Key": "k"}
    redacted = redact_mapping(body)
    assert redacted["user_phone"] == "249912345678"
    assert redacted["user_password"] == MASK
    assert redacted["card"] == {"pan": MASK, "cvv": MASK}
    assert redacted["items"] == [{"ipin": MASK}]
    assert redacted["X-Api-Key"] == MASK
    assert redact_mapping({"code": "1234"}, extra_keys=("code",)) == {"code": MASK}


def test_scrub_removes_registered_values_keys_tokens_and_pans():
    register_secrets("registered-secret-value")
    text = ("key registered-secret-value; sk_test_QyeTXFXrvKd0I7sG; Authorization: JWT abc.def.ghijkl123; "
            "card 4111-1111-1111-1111 token eyJhbGciOiJIUzI1.eyJ1c2VybmFtZSI6.2uU8eOnw8biY")
    clean = scrub(text)
    for leaked in ("registered-secret-value", "QyeTXFXrvKd0I7sG", "abc.def.ghijkl123", "4111-1111-1111-1111",
                   "eyJhbGciOiJIUzI1"):
        assert leaked not in clean
    assert "411111******1111" in clean


def test_the_logging_filter_scrubs_messages_arguments_and_tracebacks():
    register_secrets("filter-secret-0042")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "password is %s", ("filter-secret-0042",), None)
    try:
        raise ValueError("boom filter-secret-0042")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert "filter-secret-0042" not in record.getMessage()
    assert "filter-secret-0042" not in record.exc_text
    assert "boom" in record.exc_text


def test_money_parses_upstream_numbers_without_float_error():
    assert Money.parse(Decimal("125000.1"), "TRY").amount == Decimal("125000.1")
    assert Money.parse(125000, "TRY").amount == Decimal("125000")
    assert Money.parse("125,000.00", "TRY").amount == Decimal("125000.00")
    assert Money.from_minor(74200, "AUD") == Money(Decimal("742.00"), "AUD")
    assert Money(Decimal("742.00"), "AUD").to_minor() == 74200
    assert Money(Decimal("15000"), "IDR").to_minor() == 15000


@pytest.mark.parametrize("bad", [None, True, 0.1, "abc", "NaN", "Infinity", ""])
def test_money_refuses_non_amounts(bad):
    with pytest.raises(InvalidAmount):
        Money.parse(bad, "TRY")


def test_money_refuses_more_decimals_than_the_currency_has():
    with pytest.raises(InvalidAmount, match="more than 2 decimal places"):
        Money(Decimal("10.005"), "INR").to_minor()
    with pytest.raises(InvalidAmount, match="more than 0 decimal places"):
        Money(Decimal("100.5"), "IDR").to_minor()
    with pytest.raises(InvalidAmount):
        Money(Decimal("1"), "USD")


@given(minor=st.integers(min_value=0, max_value=10**15), currency=st.sampled_from(["SDG", "TRY", "IDR", "AUD", "INR"]))
def test_minor_units_round_trip(minor, currency):
    assert Money.from_minor(minor, currency).to_minor() == minor
