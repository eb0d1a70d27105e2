"""Creating a Vospay installment order: the gross amount is computed (and a stated one
checked), every bad line or cost is refused by field with nothing stored, and the order
gets its merchant key and an unguessable checkout token. Nothing reaches Vospay."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from payments.models import Status, Transaction, VospayOrder, VospayOrderItem
from payments.services.common import Actor
from payments.services.vospay import vospay_order_cancel, vospay_order_create
from tests.factories import ConnectionFactory
from tests.helpers import requests_to
from tests.vospay.support import GROSS, TWO_ITEMS, make_order

pytestmark = pytest.mark.django_db


def test_an_order_is_stored_with_its_gross_items_and_link_and_calls_nobody(sandbox, vospay):
    order = make_order(vospay)
    assert (order.provider, order.kind, order.currency, order.status) == ("vospay", "order", "IDR", "pending")
    assert order.amount == GROSS and order.next_sync_at is None and order.external_id == ""
    detail = order.vospay_order
    assert detail.merchant_key == "sbx_mk_bukalapak"
    assert [(i.name, i.quantity, i.unit_price) for i in detail.items.all()] == [
        ("Headphones", 2, Decimal("10000")), ("Phone case", 1, Decimal("5000"))]
    assert (detail.shipping_cost, detail.processing_fee, detail.tax) == (Decimal(5000), Decimal(100), Decimal(0))
    assert len(detail.checkout_token) >= 40
    assert make_order(vospay).vospay_order.checkout_token != detail.checkout_token
    assert [e.note for e in order.events.all()] == [
        "Installment order created; the checkout link is ready to send."]
    assert not sandbox.sandbox("vospay").received  # the customer's checkout is what reaches Vospay
    assert requests_to(sandbox, "vospay", "/authorize-transaction") == 0


def test_a_stated_gross_amount_must_add_up(vospay):
    assert make_order(vospay, gross_amount="30100").amount == GROSS
    with pytest.raises(ValidationError) as e:
        make_order(vospay, gross_amount="30000")
    assert e.value.message_dict["gross_amount"] == [
        "The items and costs add up to 30,100 IDR, not 30,000 IDR. Check the amounts."]
    assert Transaction.objects.count() == 1


@pytest.mark.parametrize(("fields", "errors"), [
    ({"items": []}, {"items": "Add at least one item."}),
    ({"items": [{"name": "", "quantity": "1", "unit_price": "100"}]}, {"items.0.name": "Name the item."}),
    ({"items": [{"name": "Cable", "quantity": "0", "unit_price": "100"}]},
     {"items.0.quantity": "Enter a whole number of pieces from 1 to 9999."}),
    ({"items": [{"name": "Cable", "quantity": "1.5", "unit_price": "100"}]},
     {"items.0.quantity": "Enter a whole number of pieces from 1 to 9999."}),
    ({"items": [TWO_ITEMS[0], {"name": "Cable", "quantity": "1", "unit_price": "99.50"}]},
     {"items.1.unit_price": "Enter whole rupiah, such as 150000 (IDR has no cents)."}),
    ({"items": [{"name": "Cable", "quantity": "1", "unit_price": "1e3"}]},
     {"items.0.unit_price": "Enter whole rupiah, such as 150000 (IDR has no cents)."}),
    ({"items": [{"name": "Cable", "quantity": "1", "unit_price": "0"}]},
     {"items.0.unit_price": "The amount must be more than zero."}),
    ({"shipping_cost": "-5"}, {"shipping_cost": "Enter whole rupiah, such as 150000 (IDR has no cents)."}),
    ({"tax": "10.5"}, {"tax": "Enter whole rupiah, such as 150000 (IDR has no cents)."}),
    ({"items": [{"name": "Car", "quantity": "2", "unit_price": "900000000"}]},
     {"items": "The order adds up to 1,800,005,100 IDR, above the 1,000,000,000 IDR Paydesk accepts."}),
    ({"customer_phone": "12"},
     {"customer_phone": "Enter the customer's phone as digits, e.g. 08110000002 or +62 811 0000 002."}),
])
def test_bad_input_is_refused_by_field_and_nothing_is_stored(vospay, fields, errors):
    with pytest.raises(ValidationError) as e:
        make_order(vospay, **fields)
    assert {k: v[0] for k, v in e.value.message_dict.items()} == errors
    assert not Transaction.objects.exists() and not VospayOrder.objects.exists()
    assert not VospayOrderItem.objects.exists()


def test_thousands_separators_are_read_and_costs_may_be_blank(vospay):
    order = make_order(vospay, items=[{"name": "TV", "quantity": "1", "unit_price": "1,250,000"}],
                       shipping_cost="", processing_fee="", insurance_cost="", tax="")
    assert order.amount == Decimal("1250000")


def test_a_connection_without_merchant_key_is_refused(merchant):
    bare = ConnectionFactory(merchant=merchant, provider="vospay")
    with pytest.raises(ValidationError) as e:
        make_order(bare)
    assert "no merchant key" in e.value.message_dict["connection"][0]


def test_an_order_not_at_checkout_can_be_cancelled_once(vospay):
    order = make_order(vospay)
    vospay_order_cancel(order=order, actor=Actor.system())
    assert order.status == Status.CANCELLED
    assert order.events.last().note == "Cancelled before checkout; the checkout link no longer works."
    with pytest.raises(ValidationError, match="The order is cancelled"):
        vospay_order_cancel(order=order, actor=Actor.system())


def test_an_order_at_checkout_cannot_be_cancelled_from_paydesk(vospay):
    order = make_order(vospay)
    Transaction.objects.filter(pk=order.pk).update(external_id="5afcfc4424c4cc0b829f0dee")
    order.refresh_from_db()
    with pytest.raises(ValidationError, match="only Vospay can cancel it now"):
        vospay_order_cancel(order=order, actor=Actor.system())
    order.refresh_from_db()
    assert order.status == Status.PENDING


def test_create_is_keyword_only_and_refuses_another_provider(enigmapay):
    with pytest.raises(ValidationError) as e:
        vospay_order_create(connection=enigmapay, actor=Actor.system(), items=TWO_ITEMS)
    assert e.value.message_dict["connection"] == ["Installment orders go through Vospay."]
