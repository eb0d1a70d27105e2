"""The Vospay API: the order create handler the generic ``POST /orders/`` dispatches to
(called here through a test-only view with DRF's APIRequestFactory, since the generic
view is the EnKash slice's), and ``contracts`` (list with filters, detail), per role,
with the money core's error shape and Idempotency-Key."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.api.permissions import HasRole
from accounts.models import Role
from accounts.services import api_key_create
from payments.api.orders_registry import handler_for
from payments.models import Transaction
from payments.services.common import Actor
from payments.services.vospay import vospay_order_finalized
from tests.api.conftest import assert_error, key_client, session_client
from tests.factories import MerchantFactory
from tests.vospay.support import customer_finalizes, make_order

# transaction=True: the API error handler marks the request transaction for rollback, as in
# production (the view is non-atomic there); a test wrapped in one transaction would break.
pytestmark = pytest.mark.django_db(transaction=True)

BODY = {
    "items": [{"name": "Headphones", "quantity": 2, "unit_price": "10000"},
              {"name": "Phone case", "quantity": 1, "unit_price": "5000"}],
    "shipping_cost": "5000", "processing_fee": "100", "gross_amount": "30100",
    "customer_name": "Siti Rohanah", "customer_phone": "08110000002",
}


class OrdersPostForTest(APIView):
    """What the generic orders view does once it has the connection: the handler."""

    permission_classes = [HasRole(Role.MANAGER)]

    def post(self, request):
        from providers.models import ProviderConnection

        connection = ProviderConnection.objects.get(merchant=request.merchant, provider="vospay")
        return handler_for("vospay")(request, connection)


def post_order(merchant, body, *, key="k-1", role=Role.MANAGER):
    _, raw = api_key_create(merchant=merchant, name=f"{role} {key}", role=role, created_by=None)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    request = APIRequestFactory().post("/api/v1/orders/", body, format="json", **headers)
    response = OrdersPostForTest.as_view()(request)
    response.render()
    response.json = lambda: json.loads(response.content)  # as the test client's responses have
    return response


def test_the_handler_creates_an_order_once_per_idempotency_key(vospay):
    first = post_order(vospay.merchant, BODY)
    assert first.status_code == 201, first.content
    body = first.data
    order = Transaction.objects.get(kind="order")
    assert (body["id"], body["order_id"], body["amount"], body["currency"]) == (
        order.pk, order.reference, "30100", "IDR")
    assert [i["unit_price"] for i in body["items"]] == ["10000", "5000"] and body["contract"] is None
    assert body["checkout_url"].endswith(f"/me/{vospay.merchant.slug}/checkout/{order.vospay_order.checkout_token}/")
    assert first["Location"] == f"/api/v1/transactions/{order.pk}/"
    assert order.events.first().actor.startswith("API key")
    again = post_order(vospay.merchant, BODY)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and again.data["id"] == order.pk
    assert Transaction.objects.filter(kind="order").count() == 1
    other = post_order(vospay.merchant, {**BODY, "tax": "10"})
    assert_error(other, 422, "idempotency_key_reused")


def test_the_handler_refuses_bad_input_in_the_error_shape_and_stores_nothing(vospay):
    assert_error(post_order(vospay.merchant, BODY, key=""), 400, "idempotency_key_required")
    error = assert_error(post_order(vospay.merchant, {**BODY, "gross_amount": "30000"}, key="k-2"), 400, "invalid")
    assert error["fields"]["gross_amount"] == [
        "The items and costs add up to 30,100 IDR, not 30,000 IDR. Check the amounts."]
    error = assert_error(post_order(vospay.merchant, {**BODY, "items": [
        {"name": "Cable", "quantity": 1, "unit_price": "99.50"}]}, key="k-3"), 400, "invalid")
    assert error["fields"] == {"items.0.unit_price": ["Enter whole rupiah, such as 150000 (IDR has no cents)."]}
    error = assert_error(post_order(vospay.merchant, {**BODY, "shipping_cost": 5000}, key="k-4"), 400, "invalid")
    assert "shipping_cost" in error["fields"]  # a JSON number would be a float: refused
    assert_error(post_order(vospay.merchant, {**BODY, "items": []}, key="k-5"), 400, "invalid")
    assert not Transaction.objects.exists()
    # A key whose request failed validation made nothing: it may be used again.
    assert post_order(vospay.merchant, BODY, key="k-2").status_code == 201


def test_a_viewer_key_may_not_create_orders(vospay):
    assert_error(post_order(vospay.merchant, BODY, role=Role.VIEWER), 403, "permission_denied")
    assert not Transaction.objects.exists()


# -- contracts -------------------------------------------------------------------------------
def contracted(sandbox, connection):
    order = make_order(connection)
    checkout = customer_finalizes(sandbox, order)
    return vospay_order_finalized(order=order, transaction_id=checkout.authorized.transaction_id,
                                  plan=checkout.plan, actor=Actor.system())


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER, Role.OWNER])
def test_contracts_list_and_detail_for_every_role(sandbox, vospay, role):
    order = contracted(sandbox, vospay)
    waiting = make_order(vospay)
    clients = [session_client(vospay.merchant, role)]
    if role != Role.OWNER:  # API keys act as managers or viewers only
        clients.append(key_client(vospay.merchant, role))
    for client in clients:
        listed = client.get("/api/v1/contracts/").json()
        assert [r["id"] for r in listed["results"]] == [order.pk] and waiting.reference not in str(listed)
        row = listed["results"][0]
        assert row["contract"] == {**row["contract"], "status": "Pending", "period": 6, "monthly_payment": "5167.17",
                                   "installment_id": "2", "interest_rate": "0.03000"}
        assert row["contract"]["verified_at"] and row["transaction_id"] == order.external_id
        detail = client.get(f"/api/v1/contracts/{order.pk}/").json()
        assert detail["reference"] == order.reference and detail["events"][0]["note"].startswith("Installment order")
        assert_error(client.get(f"/api/v1/contracts/{waiting.pk}/"), 404, "not_found")


def test_contracts_filters_and_cursor_pages(sandbox, vospay):
    first, second = contracted(sandbox, vospay), contracted(sandbox, vospay)
    Transaction.objects.filter(pk=second.pk).update(raw_status="Approved", status="succeeded")
    client = key_client(vospay.merchant, Role.VIEWER)
    assert [r["id"] for r in client.get("/api/v1/contracts/?contract_status=Approved").json()["results"]] == [
        second.pk]
    assert [r["id"] for r in client.get(f"/api/v1/contracts/?q={first.reference}").json()["results"]] == [first.pk]
    assert [r["id"] for r in client.get("/api/v1/contracts/?status=pending").json()["results"]] == [first.pk]
    page = client.get("/api/v1/contracts/?limit=1").json()
    assert [r["id"] for r in page["results"]] == [second.pk] and page["next"]
    assert [r["id"] for r in client.get(page["next"]).json()["results"]] == [first.pk]
    error = assert_error(client.get("/api/v1/contracts/?contract_status=Lost"), 400, "invalid")
    assert "contract_status" in error["fields"]
    assert_error(client.get("/api/v1/contracts/?created_from=2026-02-31"), 400, "invalid")


def test_another_merchants_contract_is_404(sandbox, vospay):
    order = contracted(sandbox, vospay)
    stranger = key_client(MerchantFactory(), Role.MANAGER)
    assert_error(stranger.get(f"/api/v1/contracts/{order.pk}/"), 404, "not_found")
    assert stranger.get("/api/v1/contracts/").json()["results"] == []
