"""The Vospay desk pages, per role, against the running sandbox: the new order form
(item rows kept on error, one order per form token), the order page (checkout link,
contract, timeline, actions by role), the contracts list with filters, pages and CSV,
and the customer's checkout link page."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from payments.models import Status, Transaction, VospayOrder
from payments.services.common import Actor
from payments.services.vospay import vospay_order_finalized
from tests.vospay.support import customer_finalizes, make_order

pytestmark = pytest.mark.django_db

NEW = "/dashboard/vospay/orders/new/"
CONTRACTS = "/dashboard/vospay/contracts/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_token(client) -> str:
    return re.search(r'name="token" value="([^"]+)"', client.get(NEW).content.decode()).group(1)


def order_post(client, connection, token=None, **overrides) -> dict:
    data = {
        "token": token or form_token(client), "connection": str(connection.pk),
        "item_name": ["Headphones", "Phone case"], "item_quantity": ["2", "1"],
        "item_unit_price": ["10000", "5000"], "shipping_cost": "5000", "insurance_cost": "0",
        "processing_fee": "100", "tax": "0", "customer_name": "Siti Rohanah", "customer_phone": "08110000002",
        "description": "Web order 991",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_a_manager_creates_an_order_with_two_items_and_gets_its_checkout_link(vospay, members, role, settings):
    client = signed_in(members[role])
    page = client.get(NEW).content.decode()
    assert 'name="item_name"' in page and 'data-testid="gross"' in page and "vospay-order.js" in page
    response = client.post(NEW, order_post(client, vospay), follow=True)
    order = Transaction.objects.get(kind="order")
    assert response.redirect_chain[-1][0] == f"/dashboard/vospay/orders/{order.pk}/"
    shown = response.content.decode()
    assert f"Order {order.reference} created." in shown
    assert "30,100 IDR" in shown and "Headphones" in shown and "Phone case" in shown
    token = order.vospay_order.checkout_token
    public = settings.PAYDESK_PUBLIC_URL.rstrip("/")  # the customer's link is on Paydesk's public address
    assert f"{public}/me/{vospay.merchant.slug}/checkout/{token}/" in shown
    assert 'data-copy="#checkout-url"' in shown and 'data-testid="no-contract"' in shown
    assert order.created_by == members[role] and order.description == "Web order 991"


def test_the_same_form_sent_twice_makes_one_order(vospay, members):
    client = signed_in(members["manager"])
    data = order_post(client, vospay)
    client.post(NEW, data)
    again = client.post(NEW, data, follow=True)
    assert Transaction.objects.filter(kind="order").count() == 1
    assert "This order was already created; here it is. Nothing was created twice." in again.content.decode()


def test_bad_rows_are_shown_by_field_and_what_was_typed_is_kept(vospay, members):
    client = signed_in(members["manager"])
    response = client.post(NEW, order_post(client, vospay, item_name=["Headphones", ""],
                                           item_quantity=["2", "0"], item_unit_price=["10000", "12.5"],
                                           tax="abc"))
    assert response.status_code == 400
    shown = response.content.decode()
    assert "Name the item." in shown and "Enter a whole number of pieces from 1 to 9999." in shown
    assert "Enter whole rupiah, such as 150000 (IDR has no cents)." in shown
    assert 'value="Headphones"' in shown and 'value="12.5"' in shown and 'value="abc"' in shown
    assert 'value="Siti Rohanah"' in shown and shown.count('data-testid="item-row"') == 3  # 2 + template
    assert not Transaction.objects.exists()
    # The corrected form goes through with the fresh token the error page carries.
    token = re.search(r'name="token" value="([^"]+)"', shown).group(1)
    assert client.post(NEW, order_post(client, vospay, token=token)).status_code == 302
    assert Transaction.objects.filter(kind="order").count() == 1


def test_a_gross_over_the_limit_is_refused_on_the_form(vospay, members):
    client = signed_in(members["manager"])
    response = client.post(NEW, order_post(client, vospay, item_quantity=["9999", "1"],
                                           item_unit_price=["900000", "1"]))
    assert response.status_code == 400 and "above the 1,000,000,000 IDR Paydesk accepts" in response.content.decode()


def test_a_viewer_may_not_create_or_cancel_but_sees_the_order(vospay, members):
    client = signed_in(members["viewer"])
    assert client.get(NEW).status_code == 403
    order = make_order(vospay)
    page = client.get(f"/dashboard/vospay/orders/{order.pk}/").content.decode()
    assert 'data-testid="viewer-note"' in page and 'data-testid="cancel"' not in page
    assert client.post(f"/dashboard/vospay/orders/{order.pk}/cancel/").status_code == 403
    order.refresh_from_db()
    assert order.status == Status.PENDING
    nav = page.split('class="sidenav"')[1].split("</nav>")[0]
    assert "Contracts" in nav and "New installment order" not in nav


def test_no_vospay_connection_says_what_to_do(merchant, members):
    page = signed_in(members["owner"]).get(NEW).content.decode()
    assert "Connect Vospay first" in page and "/dashboard/settings/connections/" in page


def test_a_manager_cancels_an_order_before_checkout_and_the_link_stops(vospay, members):
    client = signed_in(members["manager"])
    order = make_order(vospay)
    response = client.post(f"/dashboard/vospay/orders/{order.pk}/cancel/", follow=True)
    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    shown = response.content.decode()
    assert "cancelled; its checkout link no longer works" in shown and 'data-testid="link-cancelled"' in shown
    checkout = Client().get(f"/me/{vospay.merchant.slug}/checkout/{order.vospay_order.checkout_token}/")
    assert "cancelled this order" in checkout.content.decode()


def test_the_order_page_shows_the_verified_contract_and_the_timeline(sandbox, vospay, members):
    order = make_order(vospay)
    checkout = customer_finalizes(sandbox, order)
    vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id, plan=checkout.plan,
                           actor=Actor.system())
    client = signed_in(members["manager"])
    page = client.get(f"/dashboard/vospay/orders/{order.pk}/").content.decode()
    assert '<strong data-testid="contract-status">Pending</strong>' in page and "verified by Vospay" in page
    assert '<dd data-testid="period">6 months</dd>' in page
    assert '<dd data-testid="monthly-payment">5,167.17 IDR</dd>' in page
    assert "3% flat over the tenor" in page and checkout.authorized.transaction_id in page
    assert "The customer finalized: 6 months" in page
    assert 'data-testid="cancel"' not in page and 'data-testid="verify"' in page
    response = client.post(f"/dashboard/vospay/orders/{order.pk}/verify/", follow=True)
    assert "Vospay verified the purchase; the contract is Pending." in response.content.decode()


def test_another_merchants_order_and_a_non_order_are_404(vospay, members, enigmapay):
    from tests.factories import MerchantFactory

    client = signed_in(members["owner"])
    other = Transaction.objects.create(merchant=MerchantFactory(), connection=vospay, provider="vospay",
                                       kind="order", amount=1, currency="IDR")
    payout = Transaction.objects.create(merchant=vospay.merchant, connection=enigmapay, provider="enigmapay",
                                        kind="payout", amount=1, currency="TRY")
    assert client.get(f"/dashboard/vospay/orders/{other.pk}/").status_code == 404
    assert client.get(f"/dashboard/vospay/orders/{payout.pk}/").status_code == 404


# -- contracts list --------------------------------------------------------------------------
def _contracted(sandbox, connection, **fields):
    order = make_order(connection, **fields)
    checkout = customer_finalizes(sandbox, order)
    return vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id,
                                  plan=checkout.plan, actor=Actor.system())


def test_contracts_list_filters_searches_pages_and_exports(sandbox, vospay, members, settings):
    first = _contracted(sandbox, vospay, customer_name="Siti Rohanah")
    second = _contracted(sandbox, vospay, customer_name="=HYPERLINK(1)")
    waiting = make_order(vospay)  # no contract yet: not listed
    Transaction.objects.filter(pk=second.pk).update(raw_status="Approved", status="succeeded")
    client = signed_in(members["viewer"])
    page = client.get(CONTRACTS).content.decode()
    assert first.reference in page and second.reference in page and waiting.reference not in page
    assert f'href="/dashboard/vospay/orders/{first.pk}/"' in page and "6 mo" in page and "5,167.17" in page
    only = client.get(CONTRACTS, {"contract_status": "Approved"}).content.decode()
    assert second.reference in only and first.reference not in only
    found = client.get(CONTRACTS, {"q": first.external_id}).content.decode()
    assert first.reference in found and second.reference not in found
    by_phone = client.get(CONTRACTS, {"q": "0811 0000 002"}).content.decode()  # spacing forgiven
    assert first.reference in by_phone and second.reference in by_phone
    assert "No contract matches these filters." in client.get(CONTRACTS, {"q": "PD-NOPE"}).content.decode()
    assert "Enter a valid date." in client.get(CONTRACTS, {"created_from": "2026-13-40"}).content.decode()
    # Keyset pages of one.
    import payments.views.vospay as views

    original = views.transaction_page
    views.transaction_page = lambda **kw: original(**kw, size=1)
    try:
        one = client.get(CONTRACTS).content.decode()
        older = re.search(r'href="\?after=([^"]+)"', one).group(1)
        two = client.get(CONTRACTS, {"after": older}).content.decode()
    finally:
        views.transaction_page = original
    assert second.reference in one and first.reference not in one
    assert first.reference in two and second.reference not in two
    export = client.get("/dashboard/vospay/contracts/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][:4] == ["created_at", "reference", "status", "contract_status"]
    by_ref = {r[1]: r for r in rows[1:]}
    assert set(by_ref) == {first.reference, second.reference}
    assert by_ref[second.reference][3] == "Approved" and by_ref[first.reference][9] == "6"
    assert by_ref[second.reference][14] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert client.get("/dashboard/vospay/contracts/export.csv", {"created_from": "x"}).status_code == 400


def test_contracts_list_empty_state(vospay, members):
    page = signed_in(members["viewer"]).get(CONTRACTS).content.decode()
    assert "No contracts yet." in page


# -- the customer's checkout link ------------------------------------------------------------
def test_the_checkout_link_shows_the_order_to_anyone_with_it_and_nothing_else(vospay):
    order = make_order(vospay)
    token = order.vospay_order.checkout_token
    response = Client().get(f"/me/{vospay.merchant.slug}/checkout/{token}/")
    shown = response.content.decode()
    assert response.status_code == 200 and "Pay with Vospay" in shown
    assert "30,100 IDR" in shown and "Headphones" in shown and vospay.merchant.name in shown
    assert response["Referrer-Policy"] == "same-origin" and "noindex" in response["X-Robots-Tag"]
    assert "sbx_mk_bukalapak" not in shown  # merchant's Vospay details stay on the desk
    assert Client().get(f"/me/{vospay.merchant.slug}/checkout/{token[:-1]}x/").status_code == 404
    assert Client().get(f"/me/someone-else/checkout/{token}/").status_code == 404
    assert VospayOrder.objects.count() == 1
