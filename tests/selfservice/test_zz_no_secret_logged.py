"""Runs after the other self-service tests (files run in name order): none of their log
lines holds an EnayaPay or Vospay test secret (OTPs, passwords, access codes, PANs,
IPINs, tokens), nor a password or access code typed into the pages by these tests."""

from importlib import import_module

from tests.conftest import SUITE_LOG

TYPED = ("Good-Pass-9", "Secret-Pass-77", "Brand-New-Pass-3", "Next-Pass-44", "Dom-Code-2024", "New-Code-77",
         "6308044810820001")


def test_no_log_line_of_the_customer_pages_holds_a_secret():
    every_line = "\n".join(text for _, text in SUITE_LOG.lines)
    assert "selfservice" in every_line or "/me/demo/" in every_line or " enayapay " in every_line
    for provider in ("enayapay", "vospay"):
        for secret in import_module(f"providers.{provider}.sandbox").TEST_SECRETS:
            assert secret not in every_line, f"a {provider} test secret ending …{secret[-2:]} reached a log line"
    for typed in TYPED:
        assert typed not in every_line, f"…{typed[-3:]} reached a log line"
