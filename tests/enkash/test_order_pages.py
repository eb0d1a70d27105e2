"""The EnKash desk pages for each role, against the sandbox: the orders list (filters,
search, CSV), a new order, the order page (checkout link, UPI links, QR, BNPL modes),
taking a payment from the desk and partial refunds."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import IdempotencyKey, Kind, Status, Transaction
from tests.enkash.conftest import new_order, paid_order

pytestmark = pytest.mark.django_db

ORDER_POST = {"amount": "1250.50", "customer_first_name": "Asha", "customer_last_name": "Rao",
              "customer_email": "asha@example.com", "customer_phone": "98765 43210", "description": "Two notebooks",
              "return_url": "https://shop.example/return"}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def order_form(client) -> dict:
    page = client.get(reverse("payments:enkash-order-new"))
    assert page.status_code == 200
    form = page.context["form"]
    return {"token": form.initial["token"], "connection": form.fields["connection"].initial}


def test_a_manager_creates_an_order_and_sees_how_the_customer_pays(sandbox, enkash, members):
    client = signed_in(members["manager"])
    answer = client.post(reverse("payments:enkash-order-new"), {**order_form(client), **ORDER_POST})
    order = Transaction.objects.get(kind=Kind.ORDER)
    assert answer.status_code == 302 and answer.url == reverse("payments:enkash-order-detail", args=[order.pk])
    assert order.amount == 1250.50 and order.enkash_order.customer_phone == "9876543210"
    page = client.get(answer.url)
    html = page.content.decode()
    assert page.status_code == 200 and "1250.50 INR" in html and "Pending" in html
    assert order.enkash_order.checkout_url and order.enkash_order.checkout_url in html
    for app in ("Google Pay", "PhonePe", "Paytm", "Any UPI app"):
        assert app in html
    assert "tez://upi/pay?" in html and "LazyPay (sandbox)" in html and "Eligible" in html
    qr = client.get(reverse("payments:enkash-order-qr", args=[order.pk]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png" and qr.content.startswith(b"\x89PNG")
    assert 'data-testid="pay-form"' in html


def test_bad_order_input_keeps_what_was_typed_and_stores_nothing(sandbox, enkash, members):
    client = signed_in(members["manager"])
    fields = {**order_form(client), **ORDER_POST, "amount": "12,5", "customer_phone": "12345"}
    page = client.post(reverse("payments:enkash-order-new"), fields)
    html = page.content.decode()
    assert page.status_code == 400 and "Enter an amount such as 1250.00." in html
    assert "10-digit Indian mobile" in html and 'value="asha@example.com"' in html and 'value="12,5"' in html
    assert not Transaction.objects.exists()


def test_a_double_submitted_order_form_creates_one_order(sandbox, enkash, members):
    client = signed_in(members["manager"])
    fields = {**order_form(client), **ORDER_POST}
    first = client.post(reverse("payments:enkash-order-new"), fields)
    second = client.post(reverse("payments:enkash-order-new"), fields, follow=True)
    assert Transaction.objects.filter(kind=Kind.ORDER).count() == 1
    assert second.redirect_chain[-1][0] == first.url
    assert "already created" in second.content.decode()


def test_a_viewer_reads_but_cannot_create_pay_or_refund(sandbox, enkash, members, actor):
    order, payment = paid_order(sandbox, enkash, actor)
    pending = new_order(enkash, actor)
    client = signed_in(members["viewer"])
    assert client.get(reverse("payments:order-list")).status_code == 200
    html = client.get(reverse("payments:enkash-order-detail", args=[order.pk])).content.decode()
    assert "refund-form" not in html and payment.reference in html
    html = client.get(reverse("payments:enkash-order-detail", args=[pending.pk])).content.decode()
    assert "pay-form" not in html and "Google Pay" in html
    assert client.get(reverse("payments:enkash-order-new")).status_code == 403
    assert client.post(reverse("payments:enkash-order-pay", args=[pending.pk]), {}).status_code == 403
    assert client.post(reverse("payments:enkash-payment-refund", args=[payment.pk]), {}).status_code == 403
    assert client.post(reverse("payments:enkash-order-check", args=[pending.pk])).status_code == 403
    assert "New order" not in client.get(reverse("payments:order-list")).content.decode()


def _detail(client, order):
    return client.get(reverse("payments:enkash-order-detail", args=[order.pk]))


def test_upi_collect_from_the_order_page(sandbox, enkash, members, actor):
    order = new_order(enkash, actor)
    client = signed_in(members["owner"])
    token = _detail(client, order).context["pay_form"].initial["token"]
    answer = client.post(reverse("payments:enkash-order-pay", args=[order.pk]),
                         {"token": token, "payment_mode": "UPI", "vpa": "pending@enkash"}, follow=True)
    payment = order.children.get(kind=Kind.PAYMENT)
    assert payment.status == Status.PENDING and payment.enkash_payment.payment_mode == "UPI"
    assert f"Payment {payment.reference} sent to EnKash" in answer.content.decode()
    # The order and its payment are still open: the page polls their statuses.
    assert f"?ids={order.pk},{payment.pk}" in answer.content.decode()
    again = client.post(reverse("payments:enkash-order-pay", args=[order.pk]),
                        {"token": token, "payment_mode": "UPI", "vpa": "pending@enkash"}, follow=True)
    assert order.children.filter(kind=Kind.PAYMENT).count() == 1 and "already sent" in again.content.decode()


def test_a_bad_vpa_is_shown_on_the_form_and_nothing_is_sent(sandbox, enkash, members, actor):
    order = new_order(enkash, actor)
    client = signed_in(members["manager"])
    token = _detail(client, order).context["pay_form"].initial["token"]
    page = client.post(reverse("payments:enkash-order-pay", args=[order.pk]),
                       {"token": token, "payment_mode": "UPI", "vpa": "not a vpa"})
    assert page.status_code == 400 and "Enter the customer&#x27;s UPI id" in page.content.decode()
    assert 'value="not a vpa"' in page.content.decode()
    assert not order.children.exists()


def test_partial_refunds_from_the_order_page_never_beyond_the_captured_amount(sandbox, enkash, members, actor):
    order, payment = paid_order(sandbox, enkash, actor, amount="1000.00")
    client = signed_in(members["manager"])
    url = reverse("payments:enkash-payment-refund", args=[payment.pk])

    def token():
        [row] = _detail(client, order).context["rows"]
        return row.form.initial["token"]

    first = {"token": token(), "amount": "600.00", "remarks": "One item returned"}
    done = client.post(url, first, follow=True)
    assert "Refund of 600.00 INR sent to EnKash" in done.content.decode()
    client.post(url, first)  # the same form again: no second refund
    assert payment.children.filter(kind=Kind.REFUND).count() == 1
    refused = client.post(url, {"token": token(), "amount": "400.01", "remarks": ""})
    html = refused.content.decode()
    assert refused.status_code == 400 and "At most 400.00 INR is left" in html and 'value="400.01"' in html
    assert payment.children.filter(kind=Kind.REFUND).count() == 1
    client.post(url, {"token": token(), "amount": "", "remarks": "the rest"})
    amounts = sorted(str(r.amount) for r in payment.children.filter(kind=Kind.REFUND))
    assert amounts == ["400.00", "600.00"]
    [row] = _detail(client, order).context["rows"]
    assert row.remaining == 0 and row.form is None
    request_ids = set(payment.children.values_list("enkash_refund__request_id", flat=True))
    assert len(request_ids) == 2


def test_the_orders_list_filters_searches_pages_and_exports(sandbox, enkash, members, actor):
    a = new_order(enkash, actor, amount="10.00", customer_email="ravi@example.com")
    b = new_order(enkash, actor, amount="20.00")
    client = signed_in(members["viewer"])
    html = client.get(reverse("payments:order-list")).content.decode()
    assert a.reference in html and b.reference in html
    html = client.get(reverse("payments:order-list"), {"q": "ravi@example.com"}).content.decode()
    assert a.reference in html and b.reference not in html
    html = client.get(reverse("payments:order-list"), {"q": b.external_id}).content.decode()
    assert b.reference in html and a.reference not in html
    html = client.get(reverse("payments:order-list"), {"amount_min": "15"}).content.decode()
    assert b.reference in html and a.reference not in html
    bad = client.get(reverse("payments:order-list"), {"created_from": "nope"})
    assert "fix the filter" in bad.content.decode()
    export = client.get(reverse("payments:order-export"), {"q": "ravi@example.com"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][:4] == ["created_at", "reference", "provider", "order_id"]
    assert [r[1] for r in rows[1:]] == [a.reference]
    assert client.get(reverse("payments:order-export"), {"created_from": "nope"}).status_code == 400


def test_the_orders_list_pages_by_keyset(sandbox, enkash, members, actor, monkeypatch):
    monkeypatch.setattr("payments.selectors.PAGE_SIZE", 2)
    import payments.selectors as selectors

    monkeypatch.setattr(selectors.transaction_page, "__kwdefaults__", {"after": "", "before": "", "size": 2})
    made = [new_order(enkash, actor, amount=f"{n}.00") for n in (1, 2, 3)]
    client = signed_in(members["viewer"])
    first = client.get(reverse("payments:order-list"))
    assert [o.pk for o in first.context["page"].rows] == [made[2].pk, made[1].pk]
    second = client.get(reverse("payments:order-list"), {"after": first.context["page"].older})
    assert [o.pk for o in second.context["page"].rows] == [made[0].pk]


def test_another_merchants_order_is_a_404(sandbox, enkash, actor):
    from tests.factories import MembershipFactory, MerchantFactory

    order = new_order(enkash, actor)
    stranger = signed_in(MembershipFactory(merchant=MerchantFactory(), role="owner").user)
    assert stranger.get(reverse("payments:enkash-order-detail", args=[order.pk])).status_code == 404
    assert stranger.get(reverse("payments:enkash-order-qr", args=[order.pk])).status_code == 404
    assert order.reference not in stranger.get(reverse("payments:order-list")).content.decode()
    assert IdempotencyKey.objects.filter(merchant=order.merchant).count() == 0


def test_the_order_page_still_shows_what_paydesk_knows_when_enkash_is_down(sandbox, enkash, members, actor):
    from tests.conftest import arm_fault

    order = new_order(enkash, actor)
    for operation in ("order_status", "upi_intent_link", "bnpl_payment_modes"):
        arm_fault(sandbox, "enkash", operation, "503", count=5)
    page = signed_in(members["viewer"]).get(reverse("payments:enkash-order-detail", args=[order.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and order.reference in html and "1000.00 INR" in html
    assert "EnKash could not be asked just now" in html
    assert "Google Pay" not in html and 'data-testid="bnpl-modes"' not in html


def test_an_order_whose_create_was_not_confirmed_says_so(sandbox, enkash, members, actor):
    from tests.conftest import arm_fault

    arm_fault(sandbox, "enkash", "create_order", "timeout", delay=3.0, act=False)
    order = new_order(enkash, actor)
    arm_fault(sandbox, "enkash", "order_status", "503", count=5)
    html = signed_in(members["manager"]).get(reverse("payments:enkash-order-detail", args=[order.pk])).content.decode()
    assert "We are checking with EnKash" in html and "it will not be created twice" in html
    assert 'data-testid="pay-form"' not in html  # not payable while unknown
