"""Callbacks are stored raw first, answered at once, deduplicated, and never trusted.
The sandbox sends a real EnigmaPay status callback to Paydesk's live server."""

import hashlib
import json
import time
from decimal import Decimal

import pytest
import requests
from django.db import connection as db_connection

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
                      "note": "paid with 5555 5555 5555 4444", "echo": "ek_secret_0002"}).encode()
    answer = requests.post(callback_url(live_server, connection), data=raw,
                           headers={"Content-Type": "application/json", "Cookie": "sessionid=abc"}, timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"received": True}
    event = WebhookEvent.objects.get()
    assert json.loads(event.body) == {"orderId": "A1", "cardNumber": "[redacted]", "checksum": "[redacted]",
                                      "note": "paid with 555555******4444", "echo": "[redacted]"}
    assert event.body_redacted is True
    assert "Cookie" not in event.headers
    assert event.body_sha256 == hashlib.sha256(raw).hexdigest()  # of the bytes as received
    assert event.raw_body() == raw
    stored = WebhookEvent.objects.filter(pk=event.pk).values_list("body_encrypted", flat=True).get()
    assert b"4111111111111111" not in bytes(stored)  # encrypted at rest


def test_a_body_nothing_masks_is_kept_once_in_clear_and_given_back_exactly(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    raw = b'{"transaction_id": 7, "status": "Completed", "amount": 100.00}'
    requests.post(callback_url(live_server, connection), data=raw, timeout=5)
    event = WebhookEvent.objects.get()
    assert (event.body, event.body_redacted) == (raw.decode(), False)
    assert bytes(event.body_encrypted) == b""  # no encrypted second copy of the same bytes
    assert event.raw_body() == raw


def test_an_event_whose_masked_text_is_all_that_was_kept_has_no_raw_body():
    # Stored before the bytes were kept at all: its text is not the bytes, and its
    # hash says so, whatever body_redacted says.
    received = b'{"cvv": "737"}'
    event = WebhookEvent(body='{"cvv": "[redacted]"}', body_encrypted=b"", body_redacted=False,
                         body_sha256=hashlib.sha256(received).hexdigest())
    assert event.raw_body() is None


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


def test_admin_shows_the_masked_body_never_the_raw_bytes(admin_client, live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    raw = b'{"transaction_id": 8, "cvv": "737", "otp": "918273", "n": "\x00"}'
    requests.post(callback_url(live_server, connection), data=raw, timeout=5)
    event = WebhookEvent.objects.get()
    page = admin_client.get(f"/admin/providers/webhookevent/{event.pk}/change/").content.decode()
    assert "transaction_id" in page and "[redacted]" in page
    assert "737" not in page and "918273" not in page
    assert "body_encrypted" not in page and "gAAAA" not in page  # no Fernet token either


# -- whatever arrives is stored and answered -----------------------------------------
ODD_BODIES = {
    "nul byte": (b'{"transaction_id": 9, "status": "Completed", "note": "a\x00b"}', "application/json"),
    "invalid utf-8": (b'{"transaction_id": 9, "status": "Completed", "holder": "Ay\xfe\xffe"}', "application/json"),
    "text/plain": (b"transaction 9 completed\r\n", "text/plain; charset=latin-1"),
    "form": (b"transaction_id=9&status=Completed&otp=918273&cvv=737", "application/x-www-form-urlencoded"),
    "no content type": (b"\x00\x01\x02 binary \x80", None),
}


@pytest.mark.parametrize("kind", ODD_BODIES)
def test_any_body_is_stored_byte_exact_and_answered(live_server, kind):
    # On PostgreSQL a NUL byte in a text column raised, and the provider got a 500.
    connection = ConnectionFactory(merchant=MerchantFactory())
    raw, content_type = ODD_BODIES[kind]
    headers = {"Content-Type": content_type} if content_type else {}
    answer = requests.post(callback_url(live_server, connection), data=raw, headers=headers, timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"success": True}
    event = WebhookEvent.objects.get()
    assert event.raw_body() == raw
    assert event.body_sha256 == hashlib.sha256(raw).hexdigest()
    assert "\x00" not in event.body and "\x00" not in json.dumps(event.headers)
    assert "918273" not in event.body and "737" not in event.body


def test_a_form_body_is_shown_with_its_secrets_masked(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory(), provider="eoneopay")
    raw = (b"payment=%7B%22id%22%3A%22p1%22%2C%22cvv%22%3A%22737%22%7D&otp=918273&ipin=0000"
           b"&expiry=11%2F38&password=hunter2&token=tok_abcdef&status=paid")
    answer = requests.post(callback_url(live_server, connection), data=raw,
                           headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5)
    assert (answer.status_code, answer.json()) == (200, {"received": True})
    event = WebhookEvent.objects.get()
    assert event.body == ('payment={"id":"p1","cvv":"[redacted]"}&otp=[redacted]&ipin=[redacted]'
                          "&expiry=[redacted]&password=[redacted]&token=[redacted]&status=paid")
    assert event.raw_body() == raw


def test_a_json_body_is_shown_with_cvv_otp_ipin_expiry_passwords_and_tokens_masked(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory(), provider="vospay")
    raw = (b'{"transactionID": "t1", "amount": 30100.00, "card": {"cvv": "737", "expiryDate": "11/38"}, '
           b'"otp": "918273", "ipin": "0000", "newPassword": "hunter2", "accessToken": "opaque-tok-1"}')
    requests.post(callback_url(live_server, connection), data=raw, headers={"Content-Type": "application/json"},
                  timeout=5)
    event = WebhookEvent.objects.get()
    assert event.body == ('{"transactionID": "t1", "amount": 30100.00, "card": {"cvv": "[redacted]", '
                          '"expiryDate": "[redacted]"}, "otp": "[redacted]", "ipin": "[redacted]", '
                          '"newPassword": "[redacted]", "accessToken": "[redacted]"}')


def test_sensitive_header_values_are_masked_by_value_not_only_by_name(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory(), provider="enkash",
                                   credentials={"access_key": "ek_access_key_0001", "secret_key": "ek_secret_0002"})
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYXlkZXNrIn0.c2lnbmF0dXJlLXZhbHVl"
    requests.post(callback_url(live_server, connection), json={"orderId": "A1"}, timeout=5, headers={
        "Authorization": "Bearer abcdefghijkl", "X-Card": "4111 1111 1111 1111", "X-Forwarded-Auth": f"JWT {jwt}",
        "X-Echo-Key": "ek_secret_0002", "X-Trace": "trace-42"})
    headers = WebhookEvent.objects.get().headers
    assert headers["Authorization"] == "[redacted]"
    assert headers["X-Card"] == "411111******1111"
    assert headers["X-Forwarded-Auth"] == "JWT [redacted]"
    assert headers["X-Echo-Key"] == "[redacted]"
    assert headers["X-Trace"] == "trace-42"


def test_a_replayed_odd_body_is_counted_on_the_one_event(live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    raw = b"status=Completed&id=\xff\x00"
    for _ in range(2):
        assert requests.post(callback_url(live_server, connection), data=raw, timeout=5).status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.times_received, event.raw_body()) == (2, raw)


# -- the hot path --------------------------------------------------------------------
def test_a_delivery_costs_two_queries_and_the_next_one_only_the_insert(client, django_assert_num_queries):
    # One indexed read of the connection (then cached for a few seconds) and one
    # INSERT ... ON CONFLICT, outside any transaction: no savepoints, no SELECT before
    # the insert, no refresh after.
    connection = ConnectionFactory(merchant=MerchantFactory())
    for expected_times, queries in ((1, 2), (2, 1)):
        with django_assert_num_queries(queries) as captured:
            answer = client.post(connection.callback_path(), data=b'{"transaction_id": 5}',
                                 content_type="application/json")
        assert (answer.status_code, answer.json()) == (200, {"success": True})
        if db_connection.vendor == "postgresql":
            # Prepared: Django's query log has no text for it; PostgreSQL names it.
            assert captured.captured_queries[-1]["sql"] is None
        else:
            assert "ON CONFLICT" in captured.captured_queries[-1]["sql"]
        assert WebhookEvent.objects.get().times_received == expected_times


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_insert_is_prepared_once_per_database_connection(client):
    connection = ConnectionFactory(merchant=MerchantFactory())
    for n in range(3):
        client.post(connection.callback_path(), data=b'{"n": %d}' % n, content_type="application/json")
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert [s for s in statements if "providers_webhookevent" in s and "ON CONFLICT" in s] != []
    assert len(statements) == 1  # one statement, executed three times
    assert WebhookEvent.objects.count() == 3


@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_prepared_statements_can_be_turned_off_for_a_pooler(client, settings, django_assert_num_queries):
    settings.DATABASE_PREPARED_STATEMENTS = False
    connection = ConnectionFactory(merchant=MerchantFactory())
    with django_assert_num_queries(2) as captured:
        client.post(connection.callback_path(), data=b'{"n": 1}', content_type="application/json")
    assert "ON CONFLICT" in captured.captured_queries[-1]["sql"]  # sent as text: not prepared
    assert WebhookEvent.objects.count() == 1


# -- the token never reaches a log line ----------------------------------------------
@pytest.fixture
def django_log():
    """What the configured console handler (with its redacting filter) writes for the
    django.* loggers, captured by swapping its stream."""
    import io
    import logging

    handler = next(h for h in logging.getLogger("django").handlers if h.filters)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_the_callback_token_never_reaches_the_request_log(client, django_log):
    connection = ConnectionFactory(merchant=MerchantFactory())
    unknown = "unknown-token-Zq3xW9"
    assert client.post(f"/callbacks/enigmapay/{unknown}/", data=b"{}", content_type="application/json"
                       ).status_code == 404
    assert client.get(connection.callback_path()).status_code == 405
    text = django_log.getvalue()
    assert "Not Found: /callbacks/enigmapay/[redacted]/" in text
    assert "Method Not Allowed (GET): /callbacks/enigmapay/[redacted]/" in text
    assert unknown not in text and connection.callback_token not in text


def test_the_redacting_filter_takes_a_callback_request_off_the_record(rf):
    import logging

    from providers.base.redaction import RedactingFilter

    request = rf.get("/callbacks/enigmapay/secret-token-123/")
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", (request.path,), None)
    record.request = request
    RedactingFilter().filter(record)
    assert record.getMessage() == "Not Found: /callbacks/enigmapay/[redacted]/"
    assert record.request is None  # AdminEmailHandler would have printed its path
    other = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", None, None)
    other.request = rf.get("/dashboard/")
    RedactingFilter().filter(other)
    assert other.request is not None


# -- handing over to payments: the apply task, sent by name once the row is committed ----
@pytest.fixture
def sent(monkeypatch):
    """The tasks the callback view sends (by name: providers never imports payments)."""
    from providers import callbacks

    calls = []
    monkeypatch.setattr(callbacks.current_app, "send_task", lambda name, args, **options: calls.append((name, args)))
    return calls


def sent_ids(sent, name) -> list[int]:
    """Every id sent in ``name`` messages (the outbox is the process's: another test's
    leftovers may share a message)."""
    return [pk for task, (chunk,) in sent if task == name for pk in chunk]


def test_a_stored_callback_queues_the_apply_task_by_name_and_a_finished_replay_does_not(live_server, sent):
    from providers.callbacks import APPLY_MANY_TASK

    connection = ConnectionFactory(merchant=MerchantFactory())
    body = {"transaction_id": 5001, "status": "Completed", "amount": 150.00}
    requests.post(callback_url(live_server, connection), json=body, timeout=5)
    event = WebhookEvent.objects.get()
    wait_for(lambda: sent_ids(sent, APPLY_MANY_TASK).count(event.pk) == 1, timeout=5)
    requests.post(callback_url(live_server, connection), json=body, timeout=5)  # still pending: queued again
    wait_for(lambda: sent_ids(sent, APPLY_MANY_TASK).count(event.pk) == 2, timeout=5)
    WebhookEvent.objects.filter(pk=event.pk).update(processing="processed")
    requests.post(callback_url(live_server, connection), json=body, timeout=5)
    time.sleep(0.6)  # well past the outbox's interval: nothing more is sent
    assert sent_ids(sent, APPLY_MANY_TASK).count(event.pk) == 2 and WebhookEvent.objects.get().times_received == 3


def test_deliveries_close_together_go_to_the_workers_as_one_message_each_id_once(live_server, sent, settings):
    from providers.callbacks import APPLY_MANY_TASK

    settings.CALLBACK_HAND_OVER_SECONDS = 0.5
    connection = ConnectionFactory(merchant=MerchantFactory())
    url = callback_url(live_server, connection)
    with requests.Session() as session:
        for n in range(6):
            assert session.post(url, json={"transaction_id": n}, timeout=5).status_code == 200
        session.post(url, json={"transaction_id": 0}, timeout=5)  # a replay of a pending one
    ids = sorted(WebhookEvent.objects.values_list("pk", flat=True))
    wait_for(lambda: set(ids) <= set(sent_ids(sent, APPLY_MANY_TASK)), timeout=5)
    assert sorted(pk for pk in sent_ids(sent, APPLY_MANY_TASK) if pk in ids) == ids  # each id once
    assert len(sent) < 6  # gathered, not one message per delivery


def test_a_broker_that_is_down_loses_no_callback(live_server, monkeypatch):
    from providers import callbacks

    tried = []

    def down(*args, **kwargs):
        tried.append(args)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(callbacks.current_app, "send_task", down)
    connection = ConnectionFactory(merchant=MerchantFactory())
    answer = requests.post(callback_url(live_server, connection), json={"transaction_id": 1}, timeout=5)
    assert answer.status_code == 200 and answer.json() == {"success": True}
    wait_for(lambda: tried, timeout=5)
    assert WebhookEvent.objects.get().processing == WebhookEvent.Processing.PENDING  # the sweep will queue it


def test_a_deleted_connection_stops_answering_even_while_cached(live_server, sent):
    connection = ConnectionFactory(merchant=MerchantFactory())
    assert requests.post(callback_url(live_server, connection), json={"n": 1}, timeout=5).status_code == 200
    url = callback_url(live_server, connection)
    connection.delete()
    assert requests.post(url, json={"n": 2}, timeout=5).status_code == 404
    assert not WebhookEvent.objects.exists()
