"""EoneoPay customers, charges and refunds through the services, against the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from payments.models import EoneoPayCustomer, Kind, Status, Transaction
from payments.services import eoneopay as service
from payments.services import refunds
from providers.eoneopay import testdata
from tests.conftest import arm_fault
from tests.eoneopay.support import charge, make_customer, system
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db


def test_a_customer_keeps_the_token_and_a_masked_card_only(eoneopay, sandbox):
    customer = make_customer(eoneopay)
    stored = EoneoPayCustomer.objects.get(pk=customer.pk)
    assert stored.external_id.startswith("cus_") and stored.name == "Ann Example"
    card = stored.cards.get()
    assert card.token and card.card_type == "6" and card.expiry_date == "05/29"
    assert card.masked_pan.startswith("400000") and testdata.CARD_APPROVED_VISA not in card.masked_pan
    assert sum(c.isdigit() for c in card.masked_pan) <= 10
    bank = stored.bank_accounts.get()
    assert bank.branch == "012003" and bank.masked_number == "···899" and "12881899" not in bank.masked_number


def test_bad_cards_are_refused_before_anything_is_sent(eoneopay, sandbox):
    with pytest.raises(ValidationError) as caught:
        service.card_checked(testdata.CARD_BAD_LUHN, "13/29", "12")
    assert set(caught.value.message_dict) == {"card_number", "card_expiry", "card_cvv"}
    assert testdata.CARD_BAD_LUHN not in str(caught.value)
    assert requests_to(sandbox, "eoneopay", "/customers") == 0


def test_eoneopay_refusing_a_card_is_a_clear_error(eoneopay, sandbox):
    with pytest.raises(service.EoneoPayError) as caught:
        make_customer(eoneopay, number=testdata.CARD_UNSUPPORTED)
    assert "EoneoPay did not create the customer" in caught.value.message
    assert not EoneoPayCustomer.objects.exists()


def test_update_adds_and_removes_cards_and_keeps_the_bank_account(eoneopay, sandbox):
    customer = make_customer(eoneopay)
    first = customer.cards.get()
    service.customer_update(customer=customer, actor=system(), name="Ann Other",
                            add_cards=[service.card_checked(testdata.CARD_APPROVED_MASTERCARD, "06/30", "123")])
    customer.refresh_from_db()
    assert customer.name == "Ann Other"
    assert customer.cards.filter(removed_at__isnull=True).count() == 2
    service.customer_update(customer=customer, actor=system(), remove_card_ids=[first.pk])
    current = customer.cards.filter(removed_at__isnull=True).get()
    assert current.card_type == "5"
    assert customer.bank_accounts.get().branch == "012003"  # sent back whole, from EoneoPay's own record


def test_delete_marks_the_customer_and_its_cards(eoneopay, sandbox):
    customer = make_customer(eoneopay)
    service.customer_delete(customer=customer, actor=system())
    customer.refresh_from_db()
    assert customer.is_deleted and customer.cards.get().removed_at is not None
    with pytest.raises(ValidationError):
        charge(eoneopay, customer.cards.get())


def test_import_reads_the_seeded_customer(eoneopay, sandbox):
    assert service.customers_import(connection=eoneopay) >= 1
    demo = EoneoPayCustomer.objects.get(external_id=testdata.DEMO_CUSTOMER_ID)
    assert demo.cards.count() == 2


def test_charge_then_refund_in_full(eoneopay, sandbox):
    card = make_customer(eoneopay).cards.get()
    payment = charge(eoneopay, card)
    assert payment.status == Status.SUCCEEDED and payment.external_id and payment.kind == Kind.PAYMENT
    assert payment.amount == Decimal("742.00") and payment.currency == "AUD"
    assert payment.eoneopay.reference == f"Order 1001 [{payment.reference}]"
    assert refunds.can_refund(payment) and not refunds.refunds_partial("eoneopay")
    refund = refunds.refund_create(payment=payment, amount=None, actor=system())
    assert refund.status == Status.SUCCEEDED and refund.parent_id == payment.pk and refund.amount == payment.amount
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED
    assert refunds.refundable_amount(payment) == 0 and not refunds.can_refund(payment)
    assert [e.to_status for e in payment.events.all()] == ["pending", "succeeded", "refunded"]


def test_a_partial_refund_is_refused_clearly(eoneopay, sandbox):
    payment = charge(eoneopay, make_customer(eoneopay).cards.get())
    with pytest.raises(ValidationError) as caught:
        refunds.refund_create(payment=payment, amount=Decimal("100.00"), actor=system())
    assert "in full only" in caught.value.message_dict["amount"][0]
    assert not payment.children.exists()
    assert requests_to(sandbox, "eoneopay", f"/payments/{payment.external_id}") == 0
    refund = refunds.refund_create(payment=payment, amount=Decimal("742.00"), actor=system())
    assert refund.status == Status.SUCCEEDED


def test_a_declined_card_fails_with_the_reason(eoneopay, sandbox):
    card = make_customer(eoneopay, number=testdata.CARD_INSUFFICIENT_FUNDS).cards.get()
    payment = charge(eoneopay, card)
    assert payment.status == Status.FAILED and payment.raw_status == "51"
    assert payment.last_error


def test_a_charge_that_times_out_stays_unknown_and_is_not_resent(eoneopay, sandbox):
    card = make_customer(eoneopay).cards.get()
    arm_fault(sandbox, "eoneopay", "payment_create", "timeout", delay=3.0)
    payment = charge(eoneopay, card)
    stored = Transaction.objects.get(pk=payment.pk)
    assert stored.status == Status.UNKNOWN and stored.external_id == ""
    assert stored.needs_attention_since is not None and stored.reference in stored.attention_reason
    assert stored.next_sync_at is None
    assert requests_to(sandbox, "eoneopay", "/payments") == 1
    # No syncer asks EoneoPay (it has no status call), so nothing can send it again.
    from payments.sync.registry import syncer_for
    assert syncer_for(stored) is None


def test_a_503_means_not_charged(eoneopay, sandbox):
    card = make_customer(eoneopay).cards.get()
    payment = charge(eoneopay, card, amount="503.00")
    assert payment.status == Status.FAILED
    assert requests_to(sandbox, "eoneopay", "/payments") == 1


def test_a_refund_that_times_out_stays_unknown_and_holds_the_amount(eoneopay, sandbox):
    payment = charge(eoneopay, make_customer(eoneopay).cards.get())
    arm_fault(sandbox, "eoneopay", "payment_refund", "timeout", delay=3.0)
    refund = refunds.refund_create(payment=payment, amount=None, actor=system())
    assert refund.status == Status.UNKNOWN and refund.needs_attention_since is not None
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and not refunds.can_refund(payment)
    with pytest.raises(ValidationError):
        refunds.refund_create(payment=payment, amount=None, actor=system())
    assert requests_to(sandbox, "eoneopay", f"/payments/{payment.external_id}") == 1


def test_charge_input_is_checked(eoneopay, sandbox):
    card = make_customer(eoneopay).cards.get()
    with pytest.raises(ValidationError) as caught:
        charge(eoneopay, card, amount="12,5", currency="USD", reference="")
    assert set(caught.value.message_dict) == {"amount", "currency", "reference"}
    assert not Transaction.objects.exists()


def test_a_test_key_never_reaches_a_live_connection(sandbox, merchant, monkeypatch):
    from payments.models import EoneoPayApiKey
    from providers import addresses
    from tests.factories import ConnectionFactory
    from tests.helpers import fast_client

    # A live connection may not call loopback (providers/addresses.py); this one must reach
    # the local sandbox, so its sockets get the test-mode address check.
    real_check = addresses.peer_check
    monkeypatch.setattr(addresses, "peer_check", lambda *, live: real_check(live=False))
    # A live connection whose admin key turns out to make test keys (a misconfiguration).
    live = ConnectionFactory(merchant=merchant, provider="eoneopay", mode="live",
                             base_url=sandbox.base_url("eoneopay"), credentials=dict(testdata.DEMO_CREDENTIALS))
    with pytest.raises(service.EoneoPayError) as caught:
        service.api_key_create(connection=live, actor=system())
    assert "test key for this live connection" in caught.value.message and "revoked" in caught.value.message
    assert not EoneoPayApiKey.objects.exists()
    assert requests_to(sandbox, "eoneopay", "/apikeys") == 1
    revoked = [r for r in sandbox.sandbox("eoneopay").received if r.method == "DELETE"]
    assert len(revoked) == 1  # the stray key was revoked at once
    key = revoked[0].path.rsplit("/", 1)[-1]
    assert fast_client(sandbox, "eoneopay").api_key_get(api_key=key).status == "revoked"


def test_a_customer_whose_create_answer_is_lost_is_found_not_made_twice(eoneopay, sandbox):
    arm_fault(sandbox, "eoneopay", "customer_create", "timeout", delay=3.0)
    customer = make_customer(eoneopay, email="lost@example.test")
    assert customer.external_id.startswith("cus_") and customer.cards.count() == 1
    assert requests_to(sandbox, "eoneopay", "/customers") == 2  # the create, sent once, then the list


def test_a_customer_create_that_never_arrived_says_so(eoneopay, sandbox):
    arm_fault(sandbox, "eoneopay", "customer_create", "timeout", delay=3.0, act=False)
    with pytest.raises(service.EoneoPayError) as caught:
        make_customer(eoneopay, email="never@example.test")
    assert "Check the customer list" in caught.value.message
    assert not EoneoPayCustomer.objects.exists()
