"""No INFO log line of a provider call carries a customer's name, email, address or
full phone number: the clients log request and answer bodies through
``redact_mapping``, which masks them by key (see ``providers.base.redaction``)."""

from __future__ import annotations

import logging
from decimal import Decimal

from tests.helpers import fast_client


def test_a_card_payment_link_logs_no_customer_name_email_or_phone(sandbox, caplog):
    caplog.set_level(logging.INFO, logger="providers")
    client = fast_client(sandbox, "enigmapay")

    client.credit_card_payment(username="ayse", firstname="Ayşe", lastname="Yılmazoğlu",
                               email="ayse.yilmaz@example.com", phone="05551112233", amount=Decimal("250.00"))

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("providers")]
    logged = "\n".join(lines)
    assert "enigmapay credit_card_payment POST" in logged
    for personal in ("Ayşe", "Yılmazoğlu", "ayse.yilmaz@example.com", "05551112233"):
        assert personal not in logged, personal
    assert "'phone': '••••2233'" in logged  # enough to tell two customers apart
    assert "'username': 'ayse'" in logged  # a login handle, not a name


def test_a_vospay_otp_logs_only_the_last_four_digits_of_the_phone_in_its_path(sandbox, caplog):
    from providers.vospay import sandbox as vs

    caplog.set_level(logging.INFO, logger="providers")
    client = fast_client(sandbox, "vospay")

    client.send_otp(phone="+62 811-0000-002", action="activation")

    assert sandbox.sandbox("vospay").pending_otps[vs.PHONE_SITI]["action"] == "activation"  # it went out
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("providers"))
    assert "vospay send_otp GET" in logged
    assert "/otp/••••0002 -> 200" in logged
    for form in (vs.PHONE_SITI, "8110000002", "0811%"):
        assert form not in logged, form
