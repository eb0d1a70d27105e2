"""Payouts through the real EnigmaPay sandbox over HTTP: what is sent, what is stored,
and how an unknown outcome is resolved without a second send-money."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from payments.models import Status, Transaction
from payments.services.balances import ibans_refresh
from payments.services.common import Actor
from payments.services.payouts import payout_check_status, payout_create
from providers.enigmapay import testdata
from tests.conftest import arm_fault
from tests.helpers import requests_to, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def pay(connection, user=None, **overrides):
    fields = {
        "username": "ayse.yilmaz", "customer_iban": testdata.CUSTOMER_IBAN_OK, "customer_name": "Ayşe Yılmaz",
        "amount": "1250.50", "description": "Refund of order 77",
    }
    fields.update(overrides)
    actor = Actor.for_user(user) if user else Actor.system()
    return payout_create(connection=connection, actor=actor, **fields)


def test_a_payout_is_recorded_sent_once_and_completes_when_checked(enigmapay, members, sandbox):
    payout = pay(enigmapay, members["manager"])
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1
    stored = Transaction.objects.get(pk=payout.pk)
    assert (stored.status, stored.amount, stored.currency, stored.kind) == (Status.PENDING, Decimal("1250.50"), "TRY",
                                                                            "payout")
    assert stored.external_id and stored.created_by == members["manager"]
    assert stored.payout.customer_iban == testdata.CUSTOMER_IBAN_OK
    sent = sandbox.sandbox("enigmapay").received[-1].body.decode()
    assert f"Refund of order 77 [{stored.reference}]" in sent and "1250.50" in sent
    timeline = [(e.to_status, e.actor) for e in stored.events.all()]
    assert timeline[0] == (Status.PENDING, "manager")

    # The sandbox completes a payout two seconds later; checking asks transaction-status.
    def completed():
        payout_check_status(payout=stored, actor=Actor.sync())
        return stored.status == Status.SUCCEEDED
    wait_for(completed, timeout=8, interval=0.5)
    assert stored.raw_status == "Completed" and stored.next_sync_at is None
    assert stored.events.last().to_status == Status.SUCCEEDED
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_a_refused_payout_stores_the_providers_reason(enigmapay, sandbox):
    payout = pay(enigmapay, customer_iban=testdata.CUSTOMER_IBAN_BLOCKED)
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.status == Status.FAILED
    assert "not allowed" in stored.last_error
    assert stored.events.last().note == stored.last_error


def test_insufficient_balance_is_a_failure_with_a_plain_reason(enigmapay, sandbox):
    payout = pay(enigmapay, amount="130000.00")
    assert payout.status == Status.FAILED and "enough balance" in payout.last_error


@pytest.mark.parametrize(("field", "value", "message"), [
    ("customer_iban", testdata.CUSTOMER_IBAN_OK[:-1] + "2", "not a valid IBAN"),
    ("customer_iban", "DE89370400440532013000", "Turkish IBANs"),
    ("amount", "0", "more than zero"),
    ("amount", "12.3456", "2 decimal places"),
    ("amount", "12.345", "read two ways"),  # 12.345 lira, or twelve thousand in Turkish writing?
    ("amount", "1.500.000,00", "read two ways"),
    ("amount", "12,5", "amount such as"),
    ("amount", "NaN", "amount such as"),
    ("username", "  ", "username"),
    ("customer_name", "", "holder"),
])
def test_bad_input_is_refused_before_anything_is_stored_or_sent(enigmapay, sandbox, field, value, message):
    with pytest.raises(ValidationError) as caught:
        pay(enigmapay, **{field: value})
    assert message in caught.value.message_dict[field][0]
    assert Transaction.objects.count() == 0
    assert requests_to(sandbox, "enigmapay", "/send-money") == 0


def test_the_amount_may_not_exceed_the_largest_known_iban_balance(enigmapay, sandbox):
    ibans_refresh(connection=enigmapay)
    with pytest.raises(ValidationError) as caught:
        pay(enigmapay, amount="125000.01")
    assert "available balance (125000.00 TRY)" in caught.value.message_dict["amount"][0]
    assert requests_to(sandbox, "enigmapay", "/send-money") == 0


def test_a_timeout_leaves_it_unknown_and_check_status_finds_it_by_reference(enigmapay, sandbox):
    ibans_refresh(connection=enigmapay)
    # The sandbox performs the payout, then answers too late: the id is lost with the answer.
    arm_fault(sandbox, "enigmapay", "send_money", "timeout", delay=3.0)
    payout = pay(enigmapay)
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.status == Status.UNKNOWN and stored.external_id == ""
    assert stored.next_sync_at is not None
    assert "may or may not" in stored.events.last().note

    def resolved():
        payout_check_status(payout=stored, actor=Actor.sync())
        return stored.status == Status.SUCCEEDED
    wait_for(resolved, timeout=10, interval=0.5)
    assert stored.external_id  # found in the IBAN history by its reference
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_a_payout_that_never_arrived_stays_unknown_after_checking(enigmapay, sandbox):
    ibans_refresh(connection=enigmapay)
    arm_fault(sandbox, "enigmapay", "send_money", "timeout", delay=3.0, act=False)
    payout = pay(enigmapay)
    assert payout.status == Status.UNKNOWN
    payout_check_status(payout=payout, actor=Actor.sync())
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.status == Status.UNKNOWN and stored.sync_attempts == 1
    assert "no payout with this reference yet" in stored.events.last().note
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_a_503_means_nothing_was_sent_and_the_payout_failed(enigmapay, sandbox):
    arm_fault(sandbox, "enigmapay", "send_money", "503")
    payout = pay(enigmapay)
    assert payout.status == Status.FAILED
    assert "try again" in payout.last_error.lower()
