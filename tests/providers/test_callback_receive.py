"""Callbacks are stored raw first, answered at once, deduplicated, and never trusted.
The sandbox sends a real EnigmaPay status callback to Paydesk's live server."""

import hashlib
import json
from decimal import Decimal

import pytest
import requests

from accounts.management.commands.seed_demo import sandbox_credentials
from providers.base.money import Money
from providers.models import WebhookEvent
from providers.services import client_for, connection_upsert
from tests.factories import ConnectionFactory, MerchantFactory
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def callback_url(live_server, connection) -> str:
    return live_server.url + connection.callback_path()


def test_enigmapay_payout_callback_is_stored_and_answered_as_the_doc_wants(sandbox, live_server):
    connection, _ = connection_upsert(
        merchant=MerchantFactory(), provider="enigmapay", mode="test",
        base_url=sandbox.base_url("enigmapay"), credentials=sandbox_credentials("enigmapay"),
    )
    requests.post(f"{sandbox.url}/_sandbox/config", timeout=5, json={
        "provider": "enigmapay", "callback_url": callback_url(live_server, connection), "completion_delay": 0.2,
    }).raise_for_status()
    client = client_for(connection)
    iban = client.ibans()[0]
    assert iban.balance.amount >= Decimal("150.00")
    payout = client.send_money(username="ayse", amount=Money(Decimal("150.00"), "TRY"),
                               customer_iban="TR330006100519786457841326", customer_name="Ayşe Yılmaz",
                               description="paydesk-payout-1")

    wait_for(lambda: WebhookEvent.objects.filter(connection=connection).exists())
    event = WebhookEvent.objects.get(connection=connection)
    assert event.provider == "enigmapay"
    assert event.trusted is False
    assert event.processing == WebhookEvent.Processing.PENDING
    body = json.loads(event.body)
    assert body["transaction_id"] == payout.transaction_id
    assert body["status"] == "Completed"
    assert event.remote_addr == "127.0.0.1"
    sent = sandbox.sandbox("enigmapay").callbacks
    wait_for(lambda: sent and sent[-1]["status"] == 200)
    assert json.loads(sent[-1]["answer"]) == {"success": True}


def test_a_replayed_callback_is_counted_not_stored_twice(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    body = {"transaction_id": 123, "status": "Completed", "amount": 500.00}
    for _ in range(3):
        answer = requests.post(callback_url(live_server, connection), json=body, timeout=5)
        assert answer.status_code == 200
        assert answer.json() == {"success": True}
    event = WebhookEvent.objects.get()
    assert event.times_received == 3
    assert event.last_received_at > event.received_at


def test_unknown_token_or_wrong_provider_is_404_and_stores_nothing(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    forged = requests.post(f"{live_server.url}/callbacks/enigmapay/not-a-real-token/", json={}, timeout=5)
    assert forged.status_code == 404
    wrong = requests.post(f"{live_server.url}/callbacks/enkash/{connection.callback_token}/", json={}, timeout=5)
    assert wrong.status_code == 404
    assert requests.get(callback_url(live_server, connection), timeout=5).status_code == 405
    assert not WebhookEvent.objects.exists()


def test_card_numbers_and_connection_secrets_are_masked_in_the_stored_body(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory(), provider="enkash",
                                   credentials={"access_key": "ek_access_key_0001", "secret_key": "ek_secret_0002"})
    raw = json.dumps({"orderId": "A1", "cardNumber": "4111111111111111", "checksum": "x",
                      "echo": "ek_secret_0002"}).encode()
    answer = requests.post(callback_url(live_server, connection), data=raw,
                           headers={"Content-Type": "application/json", "Cookie": "sessionid=abc"}, timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"received": True}
    event = WebhookEvent.objects.get()
    assert "4111111111111111" not in event.body
    assert "411111******1111" in event.body
    assert "ek_secret_0002" not in event.body
    assert "Cookie" not in event.headers
    assert event.body_sha256 == hashlib.sha256(raw).hexdigest()  # of the bytes as received


def test_an_oversized_callback_is_refused(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    answer = requests.post(callback_url(live_server, connection), data=b"x" * (64 * 1024 + 1), timeout=5)
    assert answer.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_staff_see_callbacks_in_admin_but_cannot_add_or_change_them(admin_client, live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    requests.post(callback_url(live_server, connection), json={"transaction_id": 7, "status": "Failed"}, timeout=5)
    event = WebhookEvent.objects.get()
    listing = admin_client.get("/admin/providers/webhookevent/").content.decode()
    assert f"/admin/providers/webhookevent/{event.pk}/change/" in listing
    assert admin_client.get("/admin/providers/webhookevent/add/").status_code == 403
    before = event.body
    admin_client.post(f"/admin/providers/webhookevent/{event.pk}/change/", {"body": "tampered"})
    event.refresh_from_db()
    assert event.body == before
