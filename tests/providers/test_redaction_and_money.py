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
    redact_text_body,
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
    assert redacted["user_phone"] == "••••5678"  # personal data: the last four tell customers apart
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


def test_redact_mapping_masks_a_customers_name_email_address_and_phone():
    body = {"firstname": "Ayşe", "lastname": "Yılmaz", "customer_name": "Asha Rao", "owner_name": "Siti",
            "name": "Ayşe Yılmaz", "email": "ayse@example.com", "customerEmail": "a@example.in",
            "address": {"line1": "Bağdat Cd. 1"}, "phoneNumber": "+62 812-3456-7890", "dateOfBirth": "1982-10-08",
            "username": "ayse", "bank_name": "Ziraat", "qrName": "Counter 1", "response_code": 51}
    redacted = redact_mapping(body)
    for key in ("firstname", "lastname", "customer_name", "owner_name", "name", "email", "customerEmail",
                "address", "dateOfBirth"):
        assert redacted[key] == MASK, key
    assert redacted["phoneNumber"] == "••••7890"
    # a login handle and the names of things stay readable, and so does an error code
    assert {k: redacted[k] for k in ("username", "bank_name", "qrName", "response_code")} == {
        "username": "ayse", "bank_name": "Ziraat", "qrName": "Counter 1", "response_code": 51}
    assert redact_mapping(body, personal=False)["email"] == "ayse@example.com"


def test_redact_mapping_masks_keys_ending_in_a_secret_word():
    body = {"newPassword": "p", "refresh_token": "t", "sms_otp": "1", "card_cvv": "1", "expiry": "11/38",
            "accessCode": "c", "token_ttl": 300, "otp_ttl": 60}
    assert redact_mapping(body) == {"newPassword": MASK, "refresh_token": MASK, "sms_otp": MASK, "card_cvv": MASK,
                                    "expiry": MASK, "accessCode": MASK, "token_ttl": 300, "otp_ttl": 60}


CAMEL_CASE_SECRETS = ("cardExpiry", "expiryMonth", "expiryYear", "expMonth", "expYear", "expDate", "otpCode",
                      "otp_code", "securityCode", "pinBlock", "ipinBlock", "CardExpiry", "card-expiry", "APIKey")


@pytest.mark.parametrize("key", CAMEL_CASE_SECRETS)
def test_camel_case_secret_keys_are_masked_in_log_lines_and_stored_bodies(key):
    assert redact_mapping({"card": {key: "11/38"}, "orderId": "A1"}) == {"card": {key: MASK}, "orderId": "A1"}
    assert redact_text_body(f'{{"{key}": "1234", "orderId": "A1"}}') == f'{{"{key}": "{MASK}", "orderId": "A1"}}'
    assert redact_text_body(f"{key}=1234&orderId=A1") == f"{key}={MASK}&orderId=A1"


def test_camel_case_normalising_keeps_ordinary_keys_readable():
    body = {"expiresAt": "2026-01-01", "orderId": "A1", "bankName": "BNI", "qrName": "Till 1", "pinned": True,
            "customerName": "Asha Rao", "merchantAccessKey": "k", "mobileNumber": "081234567890"}
    assert redact_mapping(body) == {"expiresAt": "2026-01-01", "orderId": "A1", "bankName": "BNI", "qrName": "Till 1",
                                    "pinned": True, "customerName": MASK, "merchantAccessKey": MASK,
                                    "mobileNumber": "••••7890"}


def test_a_short_registered_secret_does_not_mangle_codes_statuses_timings_or_amounts():
    # The failure mode: the process-wide registry replaced a short value anywhere, even
    # inside longer numbers, so "4000" turned 40001 and 14000 ms into "[redacted]1" and
    # "1[redacted] ms".
    register_secrets("4000")
    line = "enkash orders POST /x -> 400 (14000 ms) answer={'response_code': 40001, 'amount': '4000.50'}"
    assert scrub(line) == line
    assert scrub("secret 4000 here") == f"secret {MASK} here"
    assert scrub('{"response_code": 51}', ["0051", "5100"]) == '{"response_code": 51}'


def test_pan_masking_takes_no_slice_of_a_longer_grouped_number():
    iban = "TR08 0006 1005 1978 6457 8410 00"  # a valid IBAN; "08 0006 1005 1978 6457" passes Luhn
    assert scrub(f"to {iban}") == f"to {iban}"
    assert scrub("card 4111 1111 1111 1111.") == "card 411111******1111."


def test_scrub_masks_the_token_of_a_callback_path():
    text = scrub("Not Found: /callbacks/enigmapay/Zq3-tok_en9/ and http://h/callbacks/vospay/abc123def/?x=1")
    assert text == f"Not Found: /callbacks/enigmapay/{MASK}/ and http://h/callbacks/vospay/{MASK}/?x=1"


def test_redact_text_body_masks_secret_keys_in_json_and_keeps_the_rest_as_it_was():
    body = ('{"orderId": "A1", "amount": 500.00, "card": {"cvv": "123", "expiry": "11/38", "otp": 123456}, '
            '"ipin": "0000", "password": "hunter2", "token": {"value": "t"}, "note": "say \\"cvv\\": 9", '
            '"email": "a@example.com", "echo": "4111111111111111", "status_token": null}')
    assert redact_text_body(body) == (
        '{"orderId": "A1", "amount": 500.00, "card": {"cvv": "[redacted]", "expiry": "[redacted]", '
        '"otp": "[redacted]"}, "ipin": "[redacted]", "password": "[redacted]", "token": "[redacted]", '
        '"note": "say \\"cvv\\": 9", "email": "a@example.com", "echo": "411111******1111", "status_token": null}')


def test_redact_text_body_masks_form_fields_and_json_inside_them():
    body = "amount=100&cvv=123&otp=4567&payment=%7B%22cvv%22%3A%22999%22%2C%22amount%22%3A100%7D&name=Ay%C5%9Fe+Y"
    assert redact_text_body(body, secret_values=["sk_test_abcdefgh"]) == (
        'amount=100&cvv=[redacted]&otp=[redacted]&payment={"cvv":"[redacted]","amount":100}&name=Ayşe Y')


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
