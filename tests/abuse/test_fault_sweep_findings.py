"""Bugs the fault sweep found, each pinned by the smallest test that failed before its fix."""

from __future__ import annotations

import pytest

from payments.models import Kind, Status, Transaction
from payments.services.common import Actor
from payments.services.enkash import order_check_status, payment_submit
from tests.conftest import arm_fault
from tests.enkash.conftest import new_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_enkash(sandbox, settings):
    settings.PROVIDER_READ_TIMEOUT = 1.0
    settings.PAYDESK_PUBLIC_URL = "http://127.0.0.1:9"
    from providers.enkash import tokens

    tokens._copies.clear()


@pytest.mark.parametrize("fault", ["timeout", "dropped", "malformed"])
def test_an_enkash_payment_whose_answer_was_lost_is_one_record_after_the_order_is_read(sandbox, enkash, members, fault):
    """EnKash made the UPI attempt but its answer was lost: the payment is ``unknown``.
    Reading the order (its page, "check status", the sync) lists that attempt: it must
    become that payment, not a second record of the same money next to the unknown one."""
    actor = Actor.for_user(members["manager"])
    order = new_order(enkash, actor)
    arm_fault(sandbox, "enkash", "submit_payment_detail", fault, delay=1.4)
    lost = payment_submit(order=order, actor=actor, payment_mode="UPI", vpa="pending@enkash")
    assert lost.status == Status.UNKNOWN and not lost.external_id

    order_check_status(order=order, actor=Actor.sync())

    payments = list(Transaction.objects.filter(parent=order, kind=Kind.PAYMENT))
    assert [p.pk for p in payments] == [lost.pk]
    lost.refresh_from_db()
    assert lost.external_id and lost.status == Status.PENDING
