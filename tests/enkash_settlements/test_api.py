"""The settlements, qr-codes and qr-customers API per role against the EnKash sandbox:
shapes, filters, cursor pages, errors, Idempotency-Key."""

import base64

import pytest

from accounts.models import Role
from payments.models import QrCode, QrCustomer, SyncRun, Transaction
from payments.services.common import Actor
from payments.services.enkash_settlements import settlements_search
from tests.api.conftest import assert_error, key_client, session_client
from tests.conftest import arm_fault
from tests.enkash_settlements.support import own_payment, paid_order, run_settlement
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db(transaction=True)
API = "/api/v1"


def post(client, url, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MANAGER])
def test_settlements_list_and_detail_with_matched_items(enkash, merchant, sandbox, role):
    payment = paid_order(sandbox, "ORD95", "1200.00")
    mine = own_payment(enkash, payment.transaction_id, "1200.00")
    payout = run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    client = key_client(merchant, role)
    body = client.get(f"{API}/settlements/?status=succeeded").json()
    assert [r["payout_id"] for r in body["results"]] == ["EKSP000000000007"]
    row = body["results"][0]
    assert row["utr"] == "HDFCN000000000001" and row["settlement_amount"] == "3905.11" and row["currency"] == "INR"
    assert row["total_charges"] == "79.99" and row["total_gst"] == "14.40"
    new = Transaction.objects.get(external_id=payout["id"])
    detail = client.get(f"{API}/settlements/{new.pk}/").json()
    assert detail["status"] == "pending" and detail["events"][0]["to_status"] == "pending"
    assert detail["items"] == [{
        "transaction_id": payment.transaction_id, "order_id": "ORD95", "type": "SALE", "amount": "1200.00",
        "charges": detail["items"][0]["charges"], "gst": detail["items"][0]["gst"],
        "net_amount": detail["items"][0]["net_amount"], "matched_transaction": mine.pk,
        "matched_reference": mine.reference}]
    seeded = client.get(f"{API}/settlements/?q=SEED1001").json()["results"][0]
    unmatched = client.get(f"{API}/settlements/{seeded['id']}/").json()["items"]
    assert {i["matched_transaction"] for i in unmatched} == {None}


def test_settlements_list_pages_by_cursor_and_refuses_bad_filters(enkash, merchant, sandbox):
    settlements_search(connection=enkash, actor=Actor.system())
    client = key_client(merchant, Role.VIEWER)
    first = client.get(f"{API}/settlements/?limit=1").json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == len(second["results"]) == 1
    assert first["results"][0]["id"] != second["results"][0]["id"]
    error = assert_error(client.get(f"{API}/settlements/?payout_from=2026-12-05&payout_to=2026-12-01"), 400,
                         "invalid")
    assert "payout_to" in error["fields"]
    assert_error(client.get(f"{API}/settlements/?status=lost"), 400, "invalid")


def test_search_now_is_for_managers_and_records_a_run(enkash, merchant, sandbox):
    assert_error(post(key_client(merchant, Role.VIEWER), f"{API}/settlements/search/", {}), 403,
                 "permission_denied")
    response = post(key_client(merchant, Role.MANAGER), f"{API}/settlements/search/", {"status": "failed"})
    assert response.status_code == 200, response.content
    assert response.json()[0]["listed"] == 1 and response.json()[0]["connection"] == enkash.pk
    assert Transaction.objects.filter(kind="settlement").get().raw_status == "FAILED"
    assert SyncRun.objects.get(task="settlements").trigger == "manual"
    assert_error(post(key_client(merchant), f"{API}/settlements/search/", {"status": "lost"}), 400, "invalid")
    arm_fault(sandbox, "enkash", "search_settlement_payouts", "503", count=10)
    assert_error(post(key_client(merchant), f"{API}/settlements/search/", {}), 503, "http_503")


def test_qr_code_create_is_idempotent_and_shows_its_png(enkash, merchant, sandbox):
    client = key_client(merchant, Role.MANAGER)
    body = {"name": "Counter 1", "multiple_use": False, "amount": "499.00", "description": "Tea set",
            "expires_at": "2099-12-31T18:00:00+05:30"}
    assert_error(post(client, f"{API}/qr-codes/", body), 400, "idempotency_key_required")
    first = post(client, f"{API}/qr-codes/", body, key="qr-1")
    assert first.status_code == 201, first.content
    made = first.json()
    assert made["fixed_amount"] and made["amount"] == "499.00" and made["state"] == "active"
    assert base64.b64decode(made["png_base64"]).startswith(b"\x89PNG")
    assert first["Location"] == f"/api/v1/qr-codes/{made['id']}/"
    again = post(client, f"{API}/qr-codes/", body, key="qr-1")
    assert again.status_code == 201 and again.json()["id"] == made["id"] and again["Idempotent-Replayed"] == "true"
    assert_error(post(client, f"{API}/qr-codes/", {**body, "name": "Other"}, key="qr-1"), 422,
                 "idempotency_key_reused")
    assert requests_to(sandbox, "enkash", "/api/v0/qr-code") == 1 and QrCode.objects.count() == 1
    detail = key_client(merchant, Role.VIEWER).get(f"{API}/qr-codes/{made['id']}/").json()
    assert detail["external_id"] == made["external_id"] and detail["events"][0]["note"] == "Created at EnKash."


def test_qr_code_create_refuses_bad_input_with_fields(enkash, merchant, sandbox):
    client = key_client(merchant, Role.MANAGER)
    error = assert_error(post(client, f"{API}/qr-codes/", {"name": "X", "amount": 499}, key="a"), 400, "invalid")
    assert "amount" in error["fields"]
    error = assert_error(post(client, f"{API}/qr-codes/", {"name": "X", "amount": "1.9999"}, key="b"), 400,
                         "invalid")
    assert error["fields"]["amount"] == ["Use at most 2 decimal places."]
    error = assert_error(post(client, f"{API}/qr-codes/", {"name": "X", "expires_at": "2099-01-01T10:00:00"},
                              key="c"), 400, "invalid")
    assert "time zone" in error["fields"]["expires_at"][0]
    error = assert_error(post(client, f"{API}/qr-codes/", {"name": "X", "customer": 999}, key="d"), 400, "invalid")
    assert "customer" in error["fields"]
    assert_error(post(key_client(merchant, Role.VIEWER), f"{API}/qr-codes/", {"name": "X"}, key="e"), 403,
                 "permission_denied")
    assert requests_to(sandbox, "enkash", "/api/v0/qr-code") == 0


def test_qr_codes_list_search_and_cancel(enkash, merchant, sandbox):
    client = key_client(merchant, Role.MANAGER)
    post(client, f"{API}/qr-codes/", {"name": "Counter 1", "multiple_use": True}, key="k1")
    gate = post(client, f"{API}/qr-codes/", {"name": "Gate"}, key="k2").json()
    viewer = key_client(merchant, Role.VIEWER)
    assert [r["name"] for r in viewer.get(f"{API}/qr-codes/?q=gate").json()["results"]] == ["Gate"]
    assert [r["name"] for r in viewer.get(f"{API}/qr-codes/?usage=multiple").json()["results"]] == ["Counter 1"]
    assert_error(viewer.post(f"{API}/qr-codes/{gate['id']}/cancel/"), 403, "permission_denied")
    cancelled = client.post(f"{API}/qr-codes/{gate['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert [r["name"] for r in viewer.get(f"{API}/qr-codes/?state=cancelled").json()["results"]] == ["Gate"]
    assert client.post(f"{API}/qr-codes/{gate['id']}/cancel/").json()["status"] == "cancelled"  # twice is fine


def test_qr_customers_create_search_and_duplicate(enkash, merchant, sandbox):
    client = key_client(merchant, Role.MANAGER)
    body = {"name": "Ravi Kumar", "email": "ravi@example.com", "mobile": "9123456780"}
    made = post(client, f"{API}/qr-customers/", body, key="c1")
    assert made.status_code == 201 and made.json()["external_id"].startswith("EKC")
    error = assert_error(post(client, f"{API}/qr-customers/", body, key="c2"), 400, "invalid")
    assert "already has a customer" in error["fields"]["mobile"][0]
    error = assert_error(post(client, f"{API}/qr-customers/", {"name": "A", "mobile": "12345"}, key="c3"), 400,
                         "invalid")
    assert "mobile" in error["fields"]
    viewer = key_client(merchant, Role.VIEWER)
    assert [c["name"] for c in viewer.get(f"{API}/qr-customers/?q=ravi").json()["results"]] == ["Ravi Kumar"]
    ravi = QrCustomer.objects.get()
    assert viewer.get(f"{API}/qr-customers/{ravi.pk}/").json()["mobile"] == "9123456780"
    code = post(client, f"{API}/qr-codes/", {"name": "For Ravi", "customer": ravi.pk}, key="c4").json()
    assert code["customer"] == ravi.pk and code["customer_name"] == "Ravi Kumar"


def test_the_session_owner_reads_and_anonymous_is_refused(enkash, merchant, sandbox, client):
    settlements_search(connection=enkash, actor=Actor.system())
    assert session_client(merchant, Role.OWNER).get(f"{API}/settlements/").status_code == 200
    assert_error(client.get(f"{API}/qr-codes/"), 401, "not_authenticated")
