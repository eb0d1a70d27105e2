"""Concurrent duplicates move money once (PostgreSQL: run with DATABASE_URL=postgres://...)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection as db_connection

from accounts.models import Role
from payments.models import Status, Transaction
from tests.api.conftest import key_client
from tests.conftest import arm_fault
from tests.eoneopay.support import charge, make_customer
from tests.helpers import requests_to

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif("db_connection.vendor != 'postgresql'", reason="concurrent requests need PostgreSQL")]


def _together(call, n: int = 6) -> list:
    answers = []

    def run(i):
        answers.append(call(i))
        db_connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_charges_with_one_key_charge_once(eoneopay, sandbox):
    card = make_customer(eoneopay).cards.get()
    client = key_client(eoneopay.merchant, Role.MANAGER)
    arm_fault(sandbox, "eoneopay", "payment_create", "slow", delay=1.0)
    body = json.dumps({"card": card.pk, "amount": "15.00", "reference": "Once"})
    answers = _together(lambda i: client.post("/api/v1/payments/", body, content_type="application/json",
                                              HTTP_IDEMPOTENCY_KEY="same-key"))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == 1 and set(codes) <= {201, 202, 409}, codes
    assert requests_to(sandbox, "eoneopay", "/payments") == 1
    assert Transaction.objects.filter(kind="payment").count() == 1


def test_concurrent_refunds_with_different_keys_refund_once(eoneopay, sandbox):
    payment = charge(eoneopay, make_customer(eoneopay).cards.get())
    client = key_client(eoneopay.merchant, Role.MANAGER)
    arm_fault(sandbox, "eoneopay", "payment_refund", "slow", delay=1.0)
    answers = _together(lambda i: client.post(f"/api/v1/payments/{payment.pk}/refund/", "{}",
                                              content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"r-{i}"))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == 1 and set(codes) <= {201, 400}, codes
    assert requests_to(sandbox, "eoneopay", f"/payments/{payment.external_id}") == 1
    assert payment.children.count() == 1
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED
