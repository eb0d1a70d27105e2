"""The customers and payments API against the sandbox: roles, shapes, idempotency."""

from __future__ import annotations

import json

import pytest

from accounts.models import Role
from payments.models import EoneoPayCustomer, Status, Transaction
from providers.eoneopay import testdata
from tests.api.conftest import assert_error, key_client, session_client
from tests.conftest import arm_fault
from tests.eoneopay.support import charge, make_customer
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db(transaction=True)

NEW = {"name": "Cal Client", "email": "cal@example.test", "address": "3 Way",
       "cards": [{"number": testdata.CARD_APPROVED_VISA, "expiry_date": "05/29", "cvv": "602"}],
       "bank_accounts": [{"name": "Cal Client", "branch": "012003", "number": "12881899"}]}


def post(client, path, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_customers_create_list_detail_update_delete(eoneopay, sandbox):
    manager = key_client(eoneopay.merchant, Role.MANAGER)
    made = post(manager, "/api/v1/customers/", NEW)
    assert made.status_code == 201, made.content
    body = made.json()
    text = made.content.decode()
    assert body["external_id"].startswith("cus_") and body["cards"][0]["card_type"] == "6"
    assert testdata.CARD_APPROVED_VISA not in text and "602" not in text and "12881899" not in text
    assert "token" not in body["cards"][0]
    pk = body["id"]
    listed = manager.get("/api/v1/customers/").json()
    assert [c["id"] for c in listed["results"]] == [pk]
    assert manager.get(f"/api/v1/customers/{pk}/").json()["bank_accounts"][0]["masked_number"] == "···899"
    patched = manager.patch(f"/api/v1/customers/{pk}/", json.dumps({
        "name": "Cal Changed", "add_cards": [{"number": testdata.CARD_APPROVED_AMEX, "expiry_date": "01/30",
                                              "cvv": "1234"}]}), content_type="application/json")
    assert patched.status_code == 200 and patched.json()["name"] == "Cal Changed"
    assert len(patched.json()["cards"]) == 2
    gone = manager.delete(f"/api/v1/customers/{pk}/")
    assert gone.status_code == 200 and gone.json()["deleted_at"]
    assert manager.get("/api/v1/customers/").json()["results"] == []


def test_customer_input_errors_name_the_field_and_never_echo_the_card(eoneopay, sandbox):
    manager = key_client(eoneopay.merchant, Role.MANAGER)
    bad = post(manager, "/api/v1/customers/", {**NEW, "cards": [{"number": testdata.CARD_BAD_LUHN,
                                                                 "expiry_date": "5-29", "cvv": "1"}]})
    error = assert_error(bad, 400, "invalid")
    assert set(error["fields"]) == {"cards.0.number", "cards.0.expiry_date", "cards.0.cvv"}
    assert testdata.CARD_BAD_LUHN not in bad.content.decode()
    refused = post(manager, "/api/v1/customers/", {**NEW, "cards": [{"number": testdata.CARD_UNSUPPORTED,
                                                                     "expiry_date": "05/29", "cvv": "123"}]})
    assert_error(refused, 422, "invalid_customer")
    assert not EoneoPayCustomer.objects.exists()


def test_viewers_read_and_cannot_write(eoneopay, sandbox):
    customer = make_customer(eoneopay)
    viewer = key_client(eoneopay.merchant, Role.VIEWER)
    assert viewer.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    assert_error(post(viewer, "/api/v1/customers/", NEW), 403, "permission_denied")
    assert_error(viewer.delete(f"/api/v1/customers/{customer.pk}/"), 403, "permission_denied")
    assert_error(post(viewer, "/api/v1/payments/", {"card": 1, "amount": "1.00", "reference": "x"}, "k1"), 403,
                 "permission_denied")


def test_charge_is_idempotent_and_refund_in_full(eoneopay, sandbox):
    card = make_customer(eoneopay).cards.get()
    manager = key_client(eoneopay.merchant, Role.MANAGER)
    body = {"card": card.pk, "amount": "742.00", "reference": "Order 9"}
    assert_error(post(manager, "/api/v1/payments/", body), 400, "idempotency_key_required")
    first = post(manager, "/api/v1/payments/", body, "charge-1")
    again = post(manager, "/api/v1/payments/", body, "charge-1")
    assert first.status_code == 201 and again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true" and first.json()["id"] == again.json()["id"]
    assert first["Location"] == f"/api/v1/payments/{first.json()['id']}/"
    assert requests_to(sandbox, "eoneopay", "/payments") == 1
    assert_error(post(manager, "/api/v1/payments/", {**body, "amount": "1.00"}, "charge-1"), 422,
                 "idempotency_key_reused")
    pk = first.json()["id"]
    assert first.json()["eoneopay"]["reference"].startswith("Order 9 [PD-")
    assert_error(post(manager, f"/api/v1/payments/{pk}/refund/", {"amount": "1.00"}, "refund-0"), 400, "invalid")
    refund = post(manager, f"/api/v1/payments/{pk}/refund/", {}, "refund-1")
    assert refund.status_code == 201, refund.content
    assert refund.json()["kind"] == "refund" and refund.json()["amount"] == "742.00"
    replay = post(manager, f"/api/v1/payments/{pk}/refund/", {}, "refund-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    detail = manager.get(f"/api/v1/payments/{pk}/").json()
    assert detail["status"] == "refunded" and detail["refunded_amount"] == "742.00"
    assert [r["status"] for r in detail["refunds"]] == ["succeeded"]
    assert detail["events"][-1]["to_status"] == "refunded"
    assert_error(post(manager, f"/api/v1/payments/{pk}/refund/", {}, "refund-2"), 400, "invalid")
    row = manager.get("/api/v1/payments/").json()["results"][0]
    assert (row["refunded_amount"], row["refundable_amount"]) == ("742.00", "0.00")


def test_a_declined_charge_is_422_and_stored(eoneopay, sandbox):
    card = make_customer(eoneopay, number=testdata.CARD_DO_NOT_HONOUR).cards.get()
    manager = key_client(eoneopay.merchant, Role.MANAGER)
    declined = post(manager, "/api/v1/payments/", {"card": card.pk, "amount": "5.00", "reference": "D"}, "d-1")
    assert_error(declined, 422, "05")
    assert Transaction.objects.get(pk=declined["Location"].split("/")[-2]).status == Status.FAILED


def test_a_charge_that_times_out_is_202_unknown_and_sent_once(eoneopay, sandbox):
    card = make_customer(eoneopay).cards.get()
    manager = key_client(eoneopay.merchant, Role.MANAGER)
    arm_fault(sandbox, "eoneopay", "payment_create", "timeout", delay=3.0)
    body = {"card": card.pk, "amount": "20.00", "reference": "Slow"}
    lost = post(manager, "/api/v1/payments/", body, "slow-1")
    assert lost.status_code == 202 and lost.json()["status"] == "unknown"
    assert "no status call" in lost.json()["needs_attention"]
    retry = post(manager, "/api/v1/payments/", body, "slow-1")
    assert retry.json()["id"] == lost.json()["id"]
    assert requests_to(sandbox, "eoneopay", "/payments") == 1


def test_payments_list_shows_every_provider_and_filters(eoneopay, sandbox):
    from decimal import Decimal

    from tests.factories import ConnectionFactory
    other = Transaction.objects.create(merchant=eoneopay.merchant, provider="enkash", kind="payment",
                                       connection=ConnectionFactory(merchant=eoneopay.merchant, provider="enkash"),
                                       amount=Decimal("99.00"), currency="INR", status="succeeded")
    mine = charge(eoneopay, make_customer(eoneopay).cards.get())
    viewer = session_client(eoneopay.merchant, Role.VIEWER)
    rows = viewer.get("/api/v1/payments/").json()["results"]
    assert {r["id"] for r in rows} == {other.pk, mine.pk}
    only = viewer.get("/api/v1/payments/", {"provider": "eoneopay"}).json()["results"]
    assert [r["id"] for r in only] == [mine.pk] and only[0]["eoneopay"]["masked_pan"]
    assert_error(viewer.get("/api/v1/payments/", {"amount_min": "x"}), 400, "invalid")
    assert viewer.get(f"/api/v1/payments/{other.pk}/").json()["eoneopay"] is None


def test_the_schema_documents_the_new_operations(db):
    from django.test import Client
    schema = Client().get("/api/schema/?format=json")
    if schema.status_code != 200:
        pytest.skip("schema not public")
    ops = {op.get("operationId") for path in schema.json()["paths"].values() for op in path.values()
           if isinstance(op, dict)}
    assert {"customers_list", "customers_create", "customers_update", "customers_destroy", "payments_list",
            "payments_create", "payments_retrieve", "payments_refund"} <= ops


@pytest.mark.parametrize("role", ["owner", "manager", "viewer"])
def test_every_endpoint_for_every_role(role, eoneopay, sandbox):
    customer = make_customer(eoneopay)
    payment = charge(eoneopay, customer.cards.get())
    client = session_client(eoneopay.merchant, role)
    for path in ("/api/v1/customers/", f"/api/v1/customers/{customer.pk}/", "/api/v1/payments/",
                 f"/api/v1/payments/{payment.pk}/"):
        assert client.get(path).status_code == 200, path
    writes = [
        lambda: post(client, "/api/v1/customers/", NEW),
        lambda: client.patch(f"/api/v1/customers/{customer.pk}/", json.dumps({"name": "X Y"}),
                             content_type="application/json"),
        lambda: post(client, "/api/v1/payments/", {"card": customer.cards.get().pk, "amount": "3.00",
                                                   "reference": role}, f"k-{role}"),
        lambda: post(client, f"/api/v1/payments/{payment.pk}/refund/", {}, f"r-{role}"),
        lambda: client.delete(f"/api/v1/customers/{customer.pk}/"),
    ]
    for write in writes:
        response = write()
        if role == "viewer":
            assert_error(response, 403, "permission_denied")
        else:
            assert response.status_code in (200, 201), response.content


def test_the_payment_list_costs_the_same_queries_for_more_rows(eoneopay, sandbox, django_assert_max_num_queries):
    card = make_customer(eoneopay).cards.get()
    for n in range(6):
        charge(eoneopay, card, amount=f"{n + 1}.00", reference=f"R{n}")
    viewer = session_client(eoneopay.merchant, Role.VIEWER)
    viewer.get("/api/v1/payments/")  # warm the session
    with django_assert_max_num_queries(8):
        rows = viewer.get("/api/v1/payments/").json()["results"]
    assert len(rows) == 6 and rows[0]["refundable_amount"] == "6.00"


def test_another_merchants_card_cannot_be_charged(eoneopay, sandbox):
    from tests.eoneopay.support import card_record
    from tests.factories import MerchantFactory

    theirs = card_record(MerchantFactory())
    manager = key_client(eoneopay.merchant, Role.MANAGER)
    refused = post(manager, "/api/v1/payments/", {"card": theirs.pk, "amount": "5.00", "reference": "x"}, "x-1")
    assert "card" in assert_error(refused, 400, "invalid")["fields"]
    assert requests_to(sandbox, "eoneopay", "/payments") == 0 and not Transaction.objects.exists()
