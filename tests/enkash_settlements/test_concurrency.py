"""Concurrent settlement searches record each payout once; concurrent QR creates with
one Idempotency-Key make one code at EnKash. PostgreSQL only (row locks, real threads)."""

import threading

import pytest
from django.db import connection as db_connection

from accounts.models import Role
from payments.models import Kind, QrCode, SettledItem, Transaction
from payments.services.common import Actor
from payments.services.enkash_settlements import settlements_search
from tests.api.conftest import key_client
from tests.conftest import arm_fault
from tests.helpers import requests_to

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("db_connection.vendor != 'postgresql'", reason="concurrency needs PostgreSQL"),
]


def in_threads(fn, n: int) -> list:
    results = []

    def run():
        try:
            results.append(fn())
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_searches_record_each_payout_once(enkash, sandbox):
    arm_fault(sandbox, "enkash", "search_settlement_payouts", "slow", delay=0.3, count=4)
    in_threads(lambda: settlements_search(connection=enkash, actor=Actor.system()), 4)
    assert Transaction.objects.filter(kind=Kind.SETTLEMENT).count() == 2
    assert SettledItem.objects.count() == 3


def test_concurrent_qr_creates_with_one_key_make_one_code(enkash, merchant, sandbox):
    client = key_client(merchant, Role.MANAGER)
    arm_fault(sandbox, "enkash", "create_qr_code", "slow", delay=1.0)
    body = {"name": "Counter 1", "amount": "10.00"}
    answers = in_threads(lambda: client.post("/api/v1/qr-codes/", body, content_type="application/json",
                                             headers={"Idempotency-Key": "same"}), 5)
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) >= 1 and set(codes) <= {201, 409}
    assert requests_to(sandbox, "enkash", "/api/v0/qr-code") == 1 and QrCode.objects.count() == 1
