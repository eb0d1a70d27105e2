"""The callback URL's batched store (production: ``CALLBACK_BATCHED_STORE``): one writer
thread per process stores what the request threads hand it, many rows per statement, and
answers each thread only once its row is committed. PostgreSQL, real threads, real
connections (a test transaction would be invisible to the writer's connection)."""

import hashlib
import threading
import time

import pytest
import requests
from django.db import IntegrityError, OperationalError
from django.db import connection as db_connection

from providers import callbacks
from providers.callbacks import _BatchedStore, _Pending, webhook_event_receive
from providers.models import WebhookEvent
from tests.factories import ConnectionFactory, MerchantFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(db_connection.vendor != "postgresql", reason="the batched store is PostgreSQL's"),
]


@pytest.fixture
def batched(settings):
    settings.CALLBACK_BATCHED_STORE = True
    yield
    callbacks._batched_store.close_connection()  # or the test database cannot be dropped


@pytest.fixture
def groups(monkeypatch):
    """The sizes of the groups the writer stores. With ``groups.hold = True`` its first
    group is held until more deliveries wait behind it, so that the next is a real batch."""

    class Sizes(list):
        hold = False

    sizes, write = Sizes(), _BatchedStore.write

    def spy(group):
        if sizes.hold and not sizes:
            deadline = time.monotonic() + 5
            while callbacks._batched_store._queue.qsize() < 8 and time.monotonic() < deadline:
                time.sleep(0.01)
        sizes.append(len(group))
        write(group)

    monkeypatch.setattr(_BatchedStore, "write", staticmethod(spy))
    return sizes


def _values(connection, body: bytes) -> dict:
    return {"connection_id": connection.pk, "provider": connection.provider, "headers": {}, "body": body.decode(),
            "body_redacted": False, "body_encrypted": b"x", "body_sha256": hashlib.sha256(body).hexdigest(),
            "remote_addr": "127.0.0.1"}


def test_concurrent_deliveries_are_each_stored_once_and_counted(batched, groups):
    groups.hold = True
    connection = ConnectionFactory(merchant=MerchantFactory())
    bodies = [b'{"transaction_id": %d}' % n for n in range(12)] * 3  # each body three times
    receipts, start = [], threading.Barrier(len(bodies))

    def deliver(body: bytes) -> None:
        start.wait()
        receipt = webhook_event_receive(connection=connection, headers={"User-Agent": "t"}, body=body,
                                        remote_addr="127.0.0.1")
        receipts.append((body, receipt))

    threads = [threading.Thread(target=deliver, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(receipts) == 36
    assert sum(groups) == 36 and max(groups) > 1  # through the writer, many rows per statement
    events = WebhookEvent.objects.filter(connection=connection)
    assert events.count() == 12 and {e.times_received for e in events} == {3}
    for body in set(bodies):
        mine = [r for b, r in receipts if b == body]
        assert sorted(r.times_received for r in mine) == [1, 2, 3]  # each caller its own count
        assert [r.created for r in mine].count(True) == 1
        assert len({r.event_id for r in mine}) == 1


def test_one_body_twice_in_one_batch_is_one_row_counted_twice():
    connection = ConnectionFactory(merchant=MerchantFactory())
    group = [_Pending(_values(connection, b'{"a": 1}')), _Pending(_values(connection, b'{"a": 1}')),
             _Pending(_values(connection, b'{"b": 2}'))]
    _BatchedStore.write(group)
    assert [p.result[1] for p in group] == [1, 2, 1]
    assert group[0].result[0] == group[1].result[0] != group[2].result[0]
    assert sorted(WebhookEvent.objects.values_list("times_received", flat=True)) == [1, 2]


def test_a_batch_of_four_shares_its_defaults_and_stays_within_what_psycopg_caches(monkeypatch):
    """psycopg parses a statement of more than 50 parameters afresh at every execution
    (it caches smaller ones): a batch of four, the most four request threads can hand
    over at once, must stay under that. The values the rows share (defaults, now) are one
    parameter each, and each row still gets all of its own columns and every default."""
    connection = ConnectionFactory(merchant=MerchantFactory())
    bodies = [b'{"n": %d}' % n for n in range(4)]
    group = [_Pending({**_values(connection, body), "remote_addr": f"10.0.0.{n}", "headers": {"X-N": str(n)}})
             for n, body in enumerate(bodies)]
    sent, cursor_class = [], callbacks._prepared_cursor_class()
    execute = cursor_class.execute

    def spy(self, query, params=None, **kwargs):
        sent.append((query, params))
        return execute(self, query, params, **kwargs)

    monkeypatch.setattr(cursor_class, "execute", spy)
    _BatchedStore.write(group)
    [(sql, params)] = sent  # one statement for the four rows
    assert sql.count("), (") == 3 and len(params) <= 50
    rows = {e.body: e for e in WebhookEvent.objects.all()}
    assert len(rows) == 4
    for n, body in enumerate(bodies):
        event = rows[body.decode()]
        assert (event.remote_addr, event.headers, event.times_received) == (f"10.0.0.{n}", {"X-N": str(n)}, 1)
        assert (event.processing, event.attempts, event.error, event.trusted, event.processed_at) == (
            "pending", 0, "", False, None)
        assert event.received_at == event.last_received_at
    assert [p.result[1] for p in group] == [1, 1, 1, 1]


def test_a_row_that_fails_fails_alone_and_the_others_are_stored():
    good = ConnectionFactory(merchant=MerchantFactory())
    gone = ConnectionFactory(merchant=MerchantFactory())
    stale = _values(gone, b'{"late": 1}')
    gone.delete()  # the callback URL's cache may still hold it for a few seconds
    group = [_Pending(_values(good, b'{"a": 1}')), _Pending(stale), _Pending(_values(good, b'{"b": 2}'))]
    _BatchedStore.write(group)
    assert all(p.done for p in group)
    assert isinstance(group[1].error, IntegrityError) and group[1].result is None
    assert group[0].error is None and group[2].error is None
    assert WebhookEvent.objects.filter(connection=good).count() == 2


def test_through_the_url_the_answer_comes_after_the_commit(batched, groups, live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    url = live_server.url + connection.callback_path()
    for n in range(5):
        answer = requests.post(url, data=b'{"n": %d}' % n, headers={"Content-Type": "application/json"}, timeout=5)
        assert (answer.status_code, answer.json()) == (200, {"success": True})
        # Read on the test's own connection: committed before the provider got its 200.
        assert WebhookEvent.objects.filter(connection=connection).count() == n + 1
    assert groups == [1] * 5  # the writer stored each (one at a time: nothing waited behind)


def test_a_deleted_connection_is_a_404_through_the_url(batched, live_server):
    connection = ConnectionFactory(merchant=MerchantFactory())
    url = live_server.url + connection.callback_path()
    assert requests.post(url, data=b"{}", timeout=5).status_code == 200  # cached now
    connection.delete()
    assert requests.post(url, data=b'{"again": 1}', timeout=5).status_code == 404
    assert not WebhookEvent.objects.exists()


def test_the_writer_reconnects_after_its_connection_is_killed(batched):
    connection = ConnectionFactory(merchant=MerchantFactory())
    webhook_event_receive(connection=connection, headers={}, body=b'{"n": 1}', remote_addr=None)
    with db_connection.cursor() as cursor:  # kill every other backend on this database: the writer's too
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    stored = []
    for n in (2, 3):
        try:
            webhook_event_receive(connection=connection, headers={}, body=b'{"n": %d}' % n, remote_addr=None)
            stored.append(n)
        except OperationalError:
            continue
    # The writer keeps its connection (it serves no request): the first delivery after the
    # kill fails on it, the writer reconnects, the next one is stored.
    assert stored == [3]
    assert WebhookEvent.objects.filter(connection=connection).count() == 2


def test_inside_a_transaction_the_caller_stores_on_its_own_connection(batched):
    from django.db import transaction

    with transaction.atomic():
        connection = ConnectionFactory(merchant=MerchantFactory())  # not committed: the writer cannot see it
        receipt = webhook_event_receive(connection=connection, headers={}, body=b'{"n": 1}', remote_addr=None)
        assert receipt.created and WebhookEvent.objects.filter(pk=receipt.event_id).exists()
