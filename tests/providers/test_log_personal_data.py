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
