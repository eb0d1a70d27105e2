"""Two finalizes of one order at the same moment (two tabs, two devices): the row lock and
the mark committed before the call let exactly one reach Vospay; the other is refused by
Paydesk. PostgreSQL only; run with DATABASE_URL=postgres://...."""

from __future__ import annotations

import threading

import pytest
from django.db import connection as db_connection

from payments.models import Transaction
from payments.services.common import Actor
from payments.services.vospay import CheckoutRefused, vospay_order_authorized, vospay_order_finalize
from providers.vospay import sandbox as vs
from tests.conftest import arm_fault
from tests.helpers import requests_to
from tests.vospay.support import customer_authorizes, make_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("db_connection.vendor != 'postgresql'", reason="concurrent writers need PostgreSQL"),
]


def test_two_finalizes_at_once_send_one(vospay, sandbox):
    order = make_order(vospay)
    client, authorized = customer_authorizes(sandbox, order)
    vospay_order_authorized(order=order, transaction_id=authorized.transaction_id, actor=Actor.system())
    tokens = []
    for _ in range(2):  # two confirmations, as two devices would each get one
        client.send_otp(phone=vs.PHONE_SITI, action="transaction", gross_amount=authorized.gross_amount,
                        merchant_key=order.vospay_order.merchant_key)
        tokens.append(client.create_access_token(strategy="otp", phone=vs.PHONE_SITI, code=vs.TEST_OTP).token)
    plan = next(p for p in authorized.installment_plans if p.installment_id == "2")
    arm_fault(sandbox, "vospay", "finalize_transaction", "slow", delay=0.5, count=2)
    answers: list = []
    start = threading.Barrier(2)

    def run(token):
        try:
            start.wait()
            answers.append(vospay_order_finalize(
                order=Transaction.objects.get(pk=order.pk), transaction_id=authorized.transaction_id, plan=plan,
                gross=authorized.gross_amount, confirmation=token, actor=Actor.system()))
        except CheckoutRefused as e:
            answers.append(e)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert requests_to(sandbox, "vospay", "/finalize-transaction") == 1
    refused = [a for a in answers if isinstance(a, CheckoutRefused)]
    assert len(answers) == 2 and len(refused) == 1 and refused[0].code in ("in_progress", "paid")
    order.refresh_from_db()
    assert order.vospay_order.verified_at is not None and order.raw_status == "Pending"
