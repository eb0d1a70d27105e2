"""The orders API for each role against the sandbox: list with filters, detail with
payments and refunds, create under an Idempotency-Key, pay by UPI collect."""

from __future__ import annotations

import pytest

from accounts.models import Role
from payments.models import Kind, Status, Transaction
from tests.api.conftest import assert_error, key_client, session_client
from tests.conftest import arm_fault
from tests.enkash.conftest import new_order, paid_order

pytestmark = pytest.mark.django_db

BODY = {"amount": "1250.50", "customer_first_name": "Asha", "customer_last_name": "Rao",
        "customer_email": "asha@example.com", "customer_phone": "9876543210", "description": "Two notebooks",
        "return_url": "https://shop.example/return"}


def post(client, path, body, key="k-1"):
    return client.post(path, body, content_type="application/json", headers={"Idempotency-Key": key})


def test_a_key_creates_an_order_once_per_idempotency_key(sandbox, enkash, merchant):
    client = key_client(merchant)
    first = post(client, "/api/v1/orders/", BODY)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["provider"] == "enkash" and body["status"] == "pending" and body["amount"] == "1250.50"
    assert body["currency"] == "INR" and body["enkash"]["checkout_url"].startswith("http")
    assert first["Location"] == f"/api/v1/orders/{body['id']}/"
    again = post(client, "/api/v1/orders/", BODY)
    assert again.status_code == 201 and again.json()["id"] == body["id"] and again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(kind=Kind.ORDER).count() == 1
    assert_error(post(client, "/api/v1/orders/", {**BODY, "amount": "5.00"}), 422, "idempotency_key_reused")


def test_bad_order_bodies_are_400_with_fields(sandbox, enkash, merchant):
    client = key_client(merchant)
    error = assert_error(post(client, "/api/v1/orders/", {**BODY, "amount": 12.5}), 400, "invalid")
    assert "amount" in error["fields"]
    error = assert_error(post(client, "/api/v1/orders/", {**BODY, "customer_phone": "123"}, key="k-2"), 400, "invalid")
    assert "customer_phone" in error["fields"]
    assert_error(client.post("/api/v1/orders/", BODY, content_type="application/json"), 400,
                 "idempotency_key_required")
    error = assert_error(post(client, "/api/v1/orders/", {**BODY, "connection": 999999}, key="k-3"), 400, "invalid")
    assert "connection" in error["fields"]
    assert not Transaction.objects.exists()


def test_a_lost_create_answer_is_202_unknown(sandbox, enkash, merchant):
    arm_fault(sandbox, "enkash", "create_order", "timeout", delay=3.0, act=True)
    answer = post(key_client(merchant), "/api/v1/orders/", BODY)
    assert answer.status_code == 202 and answer.json()["status"] == "unknown"


def test_viewers_read_orders_but_cannot_create_or_pay(sandbox, enkash, merchant, actor):
    order = new_order(enkash, actor)
    viewer = key_client(merchant, Role.VIEWER)
    listed = viewer.get("/api/v1/orders/")
    assert listed.status_code == 200 and [o["reference"] for o in listed.json()["results"]] == [order.reference]
    detail = viewer.get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["enkash"]["order_id"] == order.external_id and detail["events"]
    assert_error(post(viewer, "/api/v1/orders/", BODY), 403, "permission_denied")
    assert_error(post(viewer, f"/api/v1/orders/{order.pk}/payment-detail/", {"payment_mode": "UPI"}), 403,
                 "permission_denied")
    assert_error(session_client(merchant, Role.VIEWER).post(f"/api/v1/orders/{order.pk}/check-status/"), 403,
                 "permission_denied")


def test_the_list_filters_like_the_page(sandbox, enkash, merchant, actor):
    small = new_order(enkash, actor, amount="10.00")
    new_order(enkash, actor, amount="20.00")
    client = key_client(merchant, Role.VIEWER)
    found = client.get("/api/v1/orders/", {"amount_max": "15"}).json()["results"]
    assert [o["id"] for o in found] == [small.pk]
    assert_error(client.get("/api/v1/orders/", {"created_from": "nope"}), 400, "invalid")


def test_pay_by_upi_collect_and_see_payments_with_refunds(sandbox, enkash, merchant, actor):
    from payments.services.refunds import refund_create

    order = new_order(enkash, actor)
    client = key_client(merchant)
    answer = post(client, f"/api/v1/orders/{order.pk}/payment-detail/", {"payment_mode": "UPI", "vpa": "pending@enkash"})
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "pending" and answer.json()["payment_mode"] == "UPI"
    assert_error(post(client, f"/api/v1/orders/{order.pk}/payment-detail/",
                      {"payment_mode": "CREDIT_CARD"}, key="k-2"), 400, "invalid")
    _, paid = paid_order(sandbox, enkash, actor, amount="500.00")
    refund_create(payment=paid, amount="120.00", actor=actor)
    detail = client.get(f"/api/v1/orders/{paid.parent_id}/").json()
    [payment] = detail["payments"]
    assert payment["status"] == "succeeded" and payment["refunds_in_progress"] == "120.00"
    assert payment["remaining_refundable"] == "380.00" and payment["refunds"][0]["request_id"].startswith("pd")


def test_check_status_records_a_payment_made_on_the_checkout(sandbox, enkash, merchant, actor):
    from tests.enkash.conftest import payer_pays

    order = new_order(enkash, actor)
    payer_pays(sandbox, order)
    answer = session_client(merchant, Role.MANAGER).post(f"/api/v1/orders/{order.pk}/check-status/")
    assert answer.status_code == 200 and answer.json()["status"] == Status.SUCCEEDED
    assert answer.json()["payments"][0]["status"] == "succeeded"


def test_another_merchants_order_is_a_404(sandbox, enkash, actor):
    from tests.factories import MerchantFactory

    order = new_order(enkash, actor)
    stranger = key_client(MerchantFactory())
    assert_error(stranger.get(f"/api/v1/orders/{order.pk}/"), 404, "not_found")
    assert_error(post(stranger, f"/api/v1/orders/{order.pk}/payment-detail/", {"payment_mode": "UPI"}), 404,
                 "not_found")
    assert stranger.get("/api/v1/orders/").json()["results"] == []
