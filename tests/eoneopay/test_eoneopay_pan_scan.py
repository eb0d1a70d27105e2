"""After customers are created with cards (page and API), charged and refunded, no card
number or CVV is anywhere: not in any text column of any table, not in a log line, not
in any page or API answer."""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from payments.models import EoneoPayCustomer, Transaction
from providers.eoneopay import testdata
from tests.conftest import SUITE_LOG

pytestmark = pytest.mark.django_db(transaction=True)

VISA, VISA_CVV = testdata.CARD_APPROVED_VISA, "731"
AMEX, AMEX_CVV = testdata.CARD_APPROVED_AMEX, "7319"
BANK_NUMBER = "12881899"


def leaks(text: str) -> list[str]:
    """Which secrets ``text`` holds: a whole PAN (spaced or not), or a CVV standing alone."""
    found = []
    squeezed = re.sub(r"[\s-]", "", text)
    for pan in (VISA, AMEX):
        if pan in squeezed:
            found.append(f"PAN …{pan[-4:]}")
    for cvv in (VISA_CVV, AMEX_CVV):
        if re.search(rf"(?<![\d\w]){cvv}(?![\d\w])", text):
            found.append(f"CVV {cvv}")
    if BANK_NUMBER in squeezed:
        found.append("bank account number")
    return found


def database_text() -> str:
    chunks = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields
                 if isinstance(f, models.CharField | models.TextField | models.JSONField)]
        for row in model.objects.values_list(*names) if names else ():
            chunks.extend(json.dumps(v, default=str) if not isinstance(v, str) else v for v in row if v)
    return "\n".join(chunks)


def test_no_pan_or_cvv_in_the_database_logs_or_pages(eoneopay, sandbox, members, caplog):
    caplog.set_level("DEBUG")
    log_start = len(SUITE_LOG.lines)
    manager = Client()
    manager.force_login(members["manager"])
    pages = []
    # A page create with an error first (the form comes back), then for real.
    form = {"name": "Scan Person", "email": "scan@example.test", "address": "4 Lane",
            "card_number": f"{VISA[:4]} {VISA[4:8]} {VISA[8:12]} {VISA[12:]}", "card_expiry": "05/29",
            "card_cvv": VISA_CVV, "bank_name": "Scan Person", "bank_branch": "012003", "bank_number": BANK_NUMBER}
    pages.append(manager.post("/dashboard/eoneopay/customers/new/", {**form, "email": "bad"}))
    pages.append(manager.post("/dashboard/eoneopay/customers/new/", form, follow=True))
    customer = EoneoPayCustomer.objects.get(name="Scan Person")
    api = manager.post("/api/v1/customers/", json.dumps({
        "name": "Api Person", "email": "api@example.test", "cards": [{"number": AMEX, "expiry_date": "01/30", "cvv": AMEX_CVV}],
        "bank_accounts": [{"name": "Api Person", "branch": "012003", "number": BANK_NUMBER}]}),
        content_type="application/json")
    assert api.status_code == 201
    pages.append(api)
    pages.append(manager.post(f"/dashboard/eoneopay/customers/{customer.pk}/cards/",
                              {"card_number": AMEX, "card_expiry": "13/30", "card_cvv": AMEX_CVV}))
    card = customer.cards.get()
    token = manager.get("/dashboard/eoneopay/charge/").context["form"].initial["token"]
    pages.append(manager.post("/dashboard/eoneopay/charge/", {"token": token, "card": card.pk, "amount": "73.10",
                                                              "currency": "AUD", "reference": "Scan 1"}, follow=True))
    payment = Transaction.objects.get(kind="payment")
    refund_token = manager.get(f"/dashboard/payments/{payment.pk}/").context["refund_form"].initial["token"]
    pages.append(manager.post(f"/dashboard/payments/{payment.pk}/refund/", {"token": refund_token}, follow=True))
    for path in ("/dashboard/eoneopay/customers/", f"/dashboard/eoneopay/customers/{customer.pk}/",
                 "/dashboard/payments/", f"/dashboard/payments/{payment.pk}/", "/dashboard/transactions/",
                 f"/dashboard/transactions/{payment.pk}/", "/dashboard/eoneopay/charge/",
                 "/api/v1/customers/", f"/api/v1/payments/{payment.pk}/", "/api/v1/payments/",
                 "/api/v1/transactions/"):
        pages.append(manager.get(path))
    for export in ("/dashboard/payments/export.csv", "/dashboard/eoneopay/customers/export.csv",
                   "/dashboard/transactions/export.csv"):
        pages.append(manager.get(export))
    assert Transaction.objects.get(pk=payment.pk).status == "refunded"

    for response in pages:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert not leaks(body.decode()), (response.request.get("PATH_INFO"), leaks(body.decode()))
    assert not leaks(database_text()), leaks(database_text())
    log_text = "\n".join(text for _, text in SUITE_LOG.lines[log_start:]) + "\n" + caplog.text
    assert "customer_create" in log_text  # the calls were logged, without what they carried
    assert not leaks(log_text), leaks(log_text)
