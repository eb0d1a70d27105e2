"""Two refunds of one EnKash payment at the same moment can never together pass the
captured amount: the payment row is locked while what is left is checked and the refund
recorded. Needs PostgreSQL (SQLite has no row locks): run with
DATABASE_URL=postgres://postgres@127.0.0.1:5432/paydesk_h-enkash-orders."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.db import connections

from payments.models import Kind, Status
from payments.services.refunds import refund_create, refundable_amount
from tests.enkash.conftest import inr, paid_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(db_connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _at_once(work, count: int = 2) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as e:  # what the caller asserts on
            results[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_concurrent_refunds_never_pass_the_captured_amount(sandbox, enkash, actor):
    _, payment = paid_order(sandbox, enkash, actor, amount="1000.00")
    results = _at_once(lambda i: refund_create(payment=payment, amount="600.00", actor=actor))
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert "400.00 INR is left" in refused[0].message_dict["amount"][0]
    assert payment.children.filter(kind=Kind.REFUND).count() == 1
    assert refundable_amount(payment) == inr("400.00")
    sent = [r for r in sandbox.sandbox("enkash").received if r.path.endswith("/refund")]
    assert len(sent) == 1


def test_two_concurrent_refunds_that_fit_both_go_through(sandbox, enkash, actor):
    _, payment = paid_order(sandbox, enkash, actor, amount="1000.00")
    results = _at_once(lambda i: refund_create(payment=payment, amount="500.00", actor=actor))
    assert all(r.status == Status.PENDING for r in results), results
    assert refundable_amount(payment) == inr("0.00")
    assert len({r.enkash_refund.request_id for r in results}) == 2
