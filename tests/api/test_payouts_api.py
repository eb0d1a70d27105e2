"""Payouts, payment links, IBANs and transactions through the API, against the real
EnigmaPay sandbox: Idempotency-Key replays, conflicts and concurrency; the answers for
success, refusal and unknown outcome; roles."""

import threading
import uuid

import pytest
from django.db import connection as db_connection

from accounts.models import Role
from payments.models import IdempotencyKey, Status, Transaction
from providers.enigmapay import testdata
from tests.api.conftest import assert_error, key_client
from tests.conftest import arm_fault
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"username": "ayse.yilmaz", "customer_iban": testdata.CUSTOMER_IBAN_OK, "customer_name": "Ayse Yilmaz",
        "amount": "1250.50", "description": "Order 77 refund"}


def post(client, path, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, body, content_type="application/json", headers=headers)


def test_a_payout_is_created_once_and_a_retry_replays_the_first_answer(merchant, enigmapay, sandbox):
    client = key_client(merchant)
    key = str(uuid.uuid4())
    first = post(client, "/api/v1/payouts/", BODY, key)
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["status"], body["amount"], body["currency"], body["kind"]) == ("pending", "1250.50", "TRY", "payout")
    assert body["payout"]["customer_iban"] == testdata.CUSTOMER_IBAN_OK
    assert first["Location"] == f"/api/v1/transactions/{body['id']}/"
    again = post(client, "/api/v1/payouts/", BODY, key)
    assert again.status_code == 201 and again.json() == body and again["Idempotent-Replayed"] == "true"
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1 and Transaction.objects.count() == 1
    tx = Transaction.objects.get()
    assert tx.events.first().actor.startswith("API key")
    detail = client.get(f"/api/v1/transactions/{tx.pk}/").json()
    assert detail["events"][0]["note"] == "Payout recorded; sending to EnigmaPay."


def test_the_same_key_with_another_body_is_refused(merchant, enigmapay, sandbox):
    client = key_client(merchant)
    key = str(uuid.uuid4())
    post(client, "/api/v1/payouts/", BODY, key)
    error = assert_error(post(client, "/api/v1/payouts/", {**BODY, "amount": "99.00"}, key), 422,
                         "idempotency_key_reused")
    assert "different request" in error["message"]
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_a_payout_needs_an_idempotency_key(merchant, enigmapay, sandbox):
    assert_error(post(key_client(merchant), "/api/v1/payouts/", BODY), 400, "idempotency_key_required")
    assert requests_to(sandbox, "enigmapay", "/send-money") == 0


@pytest.mark.parametrize(("field", "value", "text"), [
    ("customer_iban", "DE89370400440532013000", "Turkish IBANs"),
    ("amount", "12,5", "amount such as"),
    ("amount", 12.5, "as a string"),
    ("amount", "1e3", "amount such as"),
])
def test_bad_input_is_a_400_with_the_field_and_frees_the_key(merchant, enigmapay, sandbox, field, value, text):
    client = key_client(merchant)
    key = str(uuid.uuid4())
    error = assert_error(post(client, "/api/v1/payouts/", {**BODY, field: value}, key), 400, "invalid")
    assert text in error["fields"][field][0]
    assert Transaction.objects.count() == 0 and not IdempotencyKey.objects.filter(key=key).exists()
    # The key was not spent: the corrected request goes through with it.
    assert post(client, "/api/v1/payouts/", BODY, key).status_code == 201


def test_a_refusal_is_a_422_naming_the_stored_failed_payout(merchant, enigmapay, sandbox):
    response = post(key_client(merchant), "/api/v1/payouts/", {**BODY, "customer_iban": testdata.CUSTOMER_IBAN_BLOCKED},
                    str(uuid.uuid4()))
    error = assert_error(response, 422, "payout_rejected")
    assert "not allowed" in error["message"]
    tx = Transaction.objects.get()
    assert tx.status == Status.FAILED and response["Location"] == f"/api/v1/transactions/{tx.pk}/"


def test_a_timeout_is_a_202_with_the_payout_unknown_then_check_status_resolves_it(merchant, enigmapay, sandbox):
    client = key_client(merchant)
    arm_fault(sandbox, "enigmapay", "send_money", "timeout", delay=3.0)
    response = post(client, "/api/v1/payouts/", BODY, str(uuid.uuid4()))
    assert response.status_code == 202 and response.json()["status"] == "unknown"
    pk = response.json()["id"]
    import time
    time.sleep(2.2)
    checked = client.post(f"/api/v1/payouts/{pk}/check-status/")
    assert checked.status_code == 200 and checked.json()["status"] == "succeeded"
    assert [e["to_status"] for e in checked.json()["events"]][-1] == "succeeded"
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_viewer_keys_read_but_cannot_pay_out(merchant, enigmapay, sandbox):
    viewer = key_client(merchant, Role.VIEWER)
    assert_error(post(viewer, "/api/v1/payouts/", BODY, str(uuid.uuid4())), 403, "permission_denied")
    assert viewer.get("/api/v1/ibans/").status_code == 200
    assert requests_to(sandbox, "enigmapay", "/send-money") == 0


def test_ibans_and_their_balance_history(merchant, enigmapay, sandbox):
    client = key_client(merchant, Role.VIEWER)
    refreshed = client.post("/api/v1/ibans/refresh/", content_type="application/json").json()
    assert {i["iban"]: i["balance"] for i in refreshed}[testdata.DEALER_IBAN_1] == "125000.00"
    listed = client.get("/api/v1/ibans/").json()
    first = next(i for i in listed if i["iban"] == testdata.DEALER_IBAN_1)
    balances = client.get(f"/api/v1/ibans/{first['id']}/balances/").json()
    assert [b["balance"] for b in balances["results"]] == ["125000.00"]


def test_a_payment_link_through_the_api(merchant, enigmapay, sandbox):
    response = post(key_client(merchant), "/api/v1/payment-links/", {
        "username": "mdemir", "first_name": "Mehmet", "last_name": "Demir", "email": "mehmet@example.test",
        "phone": "905321234567", "amount": "250.00"}, str(uuid.uuid4()))
    assert response.status_code == 201, response.content
    link = response.json()["payment_link"]
    assert link["payment_url"].startswith(sandbox.base_url("enigmapay")) and link["order_id"].startswith("CC-")


@pytest.mark.skipif("db_connection.vendor != 'postgresql'", reason="concurrent requests need PostgreSQL")
def test_concurrent_duplicates_move_money_once(merchant, enigmapay, sandbox):
    client = key_client(merchant)
    key = str(uuid.uuid4())
    # A slow send-money keeps the first request in flight while the others arrive.
    arm_fault(sandbox, "enigmapay", "send_money", "slow", delay=1.0)
    answers = []

    def call():
        answers.append(post(client, "/api/v1/payouts/", BODY, key))
        db_connection.close()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    # One request sends; the others, arriving while it runs, are told it is in use or,
    # once its payout exists, shown that payout (202: not final as far as they know).
    assert codes.count(201) == 1 and set(codes) <= {201, 202, 409}
    sent = next(a for a in answers if a.status_code == 201).json()
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "idempotency_key_in_use"
        if answer.status_code == 202:
            assert answer.json()["id"] == sent["id"]
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1
    assert Transaction.objects.count() == 1


def test_the_transaction_list_uses_the_pages_filters(merchant, enigmapay, sandbox):
    client = key_client(merchant, Role.MANAGER)
    made = [post(client, "/api/v1/payouts/", {**BODY, "amount": amount}, str(uuid.uuid4())).json()
            for amount in ("10.00", "20.00", "30.00")]
    listed = client.get("/api/v1/transactions/?amount_min=15&limit=1").json()
    assert [r["reference"] for r in listed["results"]] == [made[2]["reference"]]
    second = client.get(listed["next"]).json()
    assert [r["reference"] for r in second["results"]] == [made[1]["reference"]] and second["next"] is None
    found = client.get(f"/api/v1/transactions/?q={made[0]['reference'].lower()}").json()["results"]
    assert [r["id"] for r in found] == [made[0]["id"]]
    error = assert_error(client.get("/api/v1/transactions/?created_from=yesterday"), 400, "invalid")
    assert "created_from" in error["fields"]


def test_with_a_test_and_a_live_connection_the_connection_must_be_named(merchant, enigmapay, sandbox):
    from providers.models import ProviderConnection

    live = ProviderConnection.objects.create(merchant=merchant, provider="enigmapay", mode="live",
                                             base_url="https://www.enigmapay.net/api/dealer")
    client = key_client(merchant)
    error = assert_error(post(client, "/api/v1/payouts/", BODY, str(uuid.uuid4())), 400, "invalid")
    assert "more than one EnigmaPay connection" in error["fields"]["connection"][0]
    assert Transaction.objects.count() == 0
    named = post(client, "/api/v1/payouts/", {**BODY, "connection": enigmapay.pk}, str(uuid.uuid4()))
    assert named.status_code == 201 and named.json()["connection"] == enigmapay.pk != live.pk


def test_no_link_is_made_where_the_card_method_is_off(merchant, sandbox):
    from providers.services import connection_upsert

    connection_upsert(merchant=merchant, provider="enigmapay", mode="test", base_url=sandbox.base_url("enigmapay"),
                      credentials={"api_key": testdata.CARD_OFF_API_KEY, "secret_key": testdata.CARD_OFF_SECRET_KEY})
    response = post(key_client(merchant), "/api/v1/payment-links/", {
        "username": "mdemir", "first_name": "Mehmet", "last_name": "Demir", "email": "mehmet@example.test",
        "phone": "905321234567", "amount": "250.00"}, str(uuid.uuid4()))
    assert "not active" in assert_error(response, 422, "credit_card_disabled")["message"]
    assert Transaction.objects.count() == 0
    assert requests_to(sandbox, "enigmapay", "/credit-card/payment") == 0


def test_staff_cannot_delete_idempotency_keys_or_balances(admin_client):
    for model in ("idempotencykey", "ibanaccount", "balancesnapshot"):
        page = admin_client.get(f"/admin/payments/{model}/")
        assert page.status_code == 200 and "delete_selected" not in page.content.decode()
