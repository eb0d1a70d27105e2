"""The leak scan's own rules (tests/abuse/leak_scan.py): it finds a planted secret where
it is, with the place named, and a short value (CVV, OTP) only where it stands as a value;
a scan that found nothing because it could not see would prove nothing."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection

from tests.abuse.leak_scan import Secret, SecretBook, dump_findings, pg_dump, text_columns, text_findings

CVV = Secret("card CVV", "846")
OTP = Secret("OTP", "731904")
PAN = Secret("card PAN", "4000000000000002")


@pytest.mark.parametrize("text", [
    '{"cvv": "846"}', "cvv=846", "card_cvv: 846", "CVV 846 typed", "'846'", "otp 731904",
])
def test_a_short_value_standing_as_a_value_is_found(text):
    assert CVV.found_in(text) or OTP.found_in(text)


@pytest.mark.parametrize("text", [
    "2026-12-02 16:52:31,846 INFO providers.http", "amount=846.00", "id=18460", "port 58463", "-> 200 (846 ms)",
    "TR880006400000000000846001", "/payments/846/refund/", "ref PD-846X", "answer 731904812",
])
def test_a_short_value_inside_other_digits_or_text_is_not_a_finding(text):
    assert not CVV.found_in(text) and not OTP.found_in(text)


def test_a_short_value_as_a_whole_database_field_is_found():
    assert CVV.found_in("846", whole_field=True)


def test_a_pan_is_found_with_or_without_its_spaces():
    assert PAN.found_in("card 4000 0000 0000 0002 declined")
    assert PAN.found_in("x=4000-0000-0000-0002")
    assert PAN.found_in("4000000000000002")
    assert not PAN.found_in("400000XXXXXXX002")


def test_log_findings_name_the_file_and_line_never_the_value():
    book = SecretBook()
    book.add("EnayaPay IPIN", "482615")
    book.add("owner's password", "Owner-Login-Pass-5173")
    findings = text_findings("paydesk.log", [
        "16:52:31,482 INFO fine", "body={'ipin': '482615'}", "login password=Owner-Login-Pass-5173"], book)
    assert findings == ["EnayaPay IPIN in paydesk.log line 2", "owner's password in paydesk.log line 3"]
    assert all("482615" not in f and "Owner-Login" not in f for f in findings)


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_secret_planted_in_a_table_is_found_in_the_dump_with_its_table_and_column():
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Merchant

    Merchant.objects.create(name="Shop 4000 0000 0000 0002", slug="planted")
    session = SessionStore()
    session["typed"] = {"otp": "731904"}  # signed, not encrypted: base64 in the table
    session.save()
    book = SecretBook()
    for secret in (PAN, OTP, Secret("allowed token", "planted", frozenset({("accounts_merchant", "slug")}))):
        book.add(secret.name, secret.value, allowed=secret.allowed)
    findings, rows = dump_findings(pg_dump(db_connection.settings_dict), book, text_columns(db_connection))
    assert rows >= 2
    assert "card PAN in accounts_merchant.name (row 1)" in findings
    assert any(f.startswith("OTP in django_session.session_data") for f in findings)
    assert not any(f.startswith("allowed token") for f in findings)
