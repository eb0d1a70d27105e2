"""The status sync against the real EnigmaPay sandbox over HTTP: what is claimed, what
is asked, what is stored, and what is never done (a second send-money, a guess)."""

import time
from datetime import timedelta

import pytest
import requests
from django.db import connection as db_connection
from django.utils import timezone

from config.celery import app
from payments.models import BalanceSnapshot, IbanAccount, Kind, Status, SyncRun, Transaction
from payments.services.balances import ibans_refresh
from payments.services.common import Actor
from payments.services.links import payment_link_create
from payments.sync import transactions as sync
from payments.sync.registry import SYNCERS, syncable_kinds
from payments.tasks import balances_sync_all, transactions_sync_due
from providers.enigmapay.testdata import DEMO_CREDENTIALS
from providers.services import connection_upsert
from tests.conftest import arm_fault
from tests.factories import MerchantFactory
from tests.helpers import requests_to
from tests.payments.test_payout_create import pay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks run where they are enqueued (after commit): the worker tests run them for real."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def configure(sandbox, **options):
    requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enigmapay", **options}, timeout=5)


def make_due(*txs):
    Transaction.objects.filter(pk__in=[t.pk for t in txs]).update(next_sync_at=timezone.now() - timedelta(seconds=1))


def test_the_registry_has_a_syncer_per_enigmapay_kind():
    assert {("enigmapay", Kind.PAYOUT), ("enigmapay", Kind.PAYMENT_LINK)} <= syncable_kinds() == set(SYNCERS)


def test_a_due_payout_turns_succeeded_through_the_scheduled_sync(enigmapay, sandbox):
    configure(sandbox, completion_delay=0)
    ibans_refresh(connection=enigmapay)
    payout = pay(enigmapay)
    assert payout.status == Status.PENDING and payout.next_sync_at > timezone.now()
    assert transactions_sync_due() == 0  # not due yet: nothing asked, no run recorded
    assert requests_to(sandbox, "enigmapay", "/transaction-status") == 0 and not SyncRun.objects.exists()

    make_due(payout)
    assert transactions_sync_due() == 1
    stored = Transaction.objects.get(pk=payout.pk)
    assert (stored.status, stored.raw_status, stored.next_sync_at, stored.sync_lease_until) == (
        Status.SUCCEEDED, "Completed", None, None)
    last = stored.events.last()
    assert (last.source, last.from_status, last.to_status) == ("sync", Status.PENDING, Status.SUCCEEDED)
    run = SyncRun.objects.get()
    assert (run.task, run.connection, run.total, run.done, run.changed, run.failed, run.error) == (
        "transactions", enigmapay, 1, 1, 1, 0, "")
    assert run.started_at and run.finished_at
    assert requests_to(sandbox, "enigmapay", "/transaction-status") == 1
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1
    assert transactions_sync_due() == 0  # final: never asked again


def test_a_still_pending_payout_is_asked_again_later_and_later(enigmapay, sandbox):
    configure(sandbox, completion_delay=600)
    ibans_refresh(connection=enigmapay)
    payout = pay(enigmapay)
    waits = []
    for _ in range(3):
        make_due(payout)
        transactions_sync_due()
        stored = Transaction.objects.get(pk=payout.pk)
        waits.append(round((stored.next_sync_at - timezone.now()).total_seconds() / 30))
    assert waits == [1, 2, 4]  # 30 s, 1 min, 2 min...
    assert stored.status == Status.PENDING and stored.sync_attempts == 3 and stored.sync_lease_until is None
    assert stored.events.filter(source="sync").count() == 0  # polls that change nothing write no event


def test_an_unknown_payout_resolves_from_the_history_with_no_second_send(enigmapay, sandbox):
    configure(sandbox, completion_delay=0)
    ibans_refresh(connection=enigmapay)
    arm_fault(sandbox, "enigmapay", "send_money", "dropped")  # performed, the answer lost
    payout = pay(enigmapay)
    assert payout.status == Status.UNKNOWN and payout.external_id == ""
    make_due(payout)
    transactions_sync_due()
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.status == Status.SUCCEEDED and stored.external_id
    assert stored.events.last().source == "sync"
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_an_unknown_payout_the_provider_does_not_know_stays_unknown_then_needs_attention(
        enigmapay, sandbox, merchant, settings):
    ibans_refresh(connection=enigmapay)
    arm_fault(sandbox, "enigmapay", "send_money", "dropped", act=False)  # never reached EnigmaPay
    payout = pay(enigmapay)
    for _ in range(2):
        make_due(payout)
        transactions_sync_due()
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.status == Status.UNKNOWN and stored.needs_attention_since is None
    assert stored.next_sync_at is not None  # still followed
    notes = [e.note for e in stored.events.all() if "no payout with this reference" in e.note]
    assert len(notes) == 1  # said once, not on every poll

    # A day on, it is flagged for a person: not failed, not asked on a schedule any more.
    Transaction.objects.filter(pk=payout.pk).update(created_at=timezone.now() - timedelta(hours=25))
    make_due(payout)
    transactions_sync_due()
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.status == Status.UNKNOWN and stored.next_sync_at is None and stored.needs_attention_since
    assert "no record of it after 24 h" in stored.attention_reason
    assert "Needs attention" in stored.events.last().note
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_a_flagged_transaction_is_cleared_when_a_manual_sync_finds_it_final(enigmapay, sandbox, merchant):
    configure(sandbox, completion_delay=0)
    ibans_refresh(connection=enigmapay)
    payout = pay(enigmapay)
    Transaction.objects.filter(pk=payout.pk).update(
        next_sync_at=None, needs_attention_since=timezone.now(), attention_reason="test")
    assert transactions_sync_due() == 0  # flagged rows are not asked on a schedule
    runs = sync.transactions_dispatch(merchant=merchant, trigger=SyncRun.Trigger.MANUAL)
    assert [r.total for r in runs] == [1]
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.status == Status.SUCCEEDED and stored.needs_attention_since is None and not stored.attention_reason


def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(enigmapay, sandbox):
    ibans_refresh(connection=enigmapay)
    payout = pay(enigmapay)
    make_due(payout)
    now = timezone.now()
    first = sync._claim(enigmapay, now=now, lease_until=now + timedelta(minutes=6), manual=False)
    assert first == [payout.pk]
    assert sync._claim(enigmapay, now=now, lease_until=now + timedelta(minutes=6), manual=False) == []
    assert sync._claim(enigmapay, now=now, lease_until=now, manual=True) == []  # not even by hand
    later = now + timedelta(minutes=7)  # the claimant died: the row is due again
    assert sync._claim(enigmapay, now=later, lease_until=later + timedelta(minutes=6), manual=False) == first


def test_a_batch_run_twice_changes_nothing_the_second_time(enigmapay, sandbox):
    configure(sandbox, completion_delay=0)
    ibans_refresh(connection=enigmapay)
    payout = pay(enigmapay)
    make_due(payout)
    now = timezone.now()
    lease = now + timedelta(minutes=6)
    pks = sync._claim(enigmapay, now=now, lease_until=lease, manual=False)
    run = SyncRun.objects.create(task="transactions", merchant=enigmapay.merchant, connection=enigmapay, total=1)
    # A worker dies after the status call but before it acknowledged: the message comes again.
    Transaction.objects.filter(pk=payout.pk).update(sync_lease_until=lease)
    sync.transactions_sync_batch(run_id=run.pk, pks=pks, lease_until=lease)
    Transaction.objects.filter(pk=payout.pk).update(sync_lease_until=lease)
    sync.transactions_sync_batch(run_id=run.pk, pks=pks, lease_until=lease)
    stored = Transaction.objects.get(pk=payout.pk)
    assert stored.status == Status.SUCCEEDED
    assert stored.events.filter(to_status=Status.SUCCEEDED).count() == 1
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1


def test_a_failing_connection_backs_off_and_the_others_go_on(enigmapay, sandbox, settings):
    settings.PROVIDER_CONNECT_TIMEOUT = 0.5
    configure(sandbox, completion_delay=0)
    ibans_refresh(connection=enigmapay)
    good = pay(enigmapay)
    other = MerchantFactory(name="Down Ltd", slug="down")
    broken, _ = connection_upsert(merchant=other, provider="enigmapay", mode="test",
                                  base_url="http://127.0.0.1:9/enigmapay/api/dealer", credentials=dict(DEMO_CREDENTIALS))
    stuck = Transaction.objects.create(merchant=other, connection=broken, provider="enigmapay", kind=Kind.PAYOUT,
                                       amount="10.00", currency="TRY", external_id="5001")
    make_due(good, stuck)
    transactions_sync_due()
    assert Transaction.objects.get(pk=good.pk).status == Status.SUCCEEDED
    down = SyncRun.objects.get(connection=broken)
    assert "could not reach" in down.error.lower() or "not answering" in down.error.lower()
    assert down.failed == 1 and down.consecutive_failures == 1 and down.next_attempt_at > timezone.now()
    assert Transaction.objects.get(pk=stuck.pk).status == Status.PENDING  # never guessed

    # Due again, but the connection is backing off: the scheduler leaves it alone.
    make_due(stuck)
    transactions_sync_due()
    assert SyncRun.objects.filter(connection=broken).count() == 1
    # Its backoff over, it is tried again and the wait doubles.
    SyncRun.objects.filter(connection=broken).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    transactions_sync_due()
    again = SyncRun.objects.filter(connection=broken).first()
    assert again.consecutive_failures == 2
    assert 50 < (again.next_attempt_at - again.created_at).total_seconds() < 70


def test_a_paid_link_turns_succeeded_through_the_sync(enigmapay, sandbox, merchant):
    link = payment_link_create(connection=enigmapay, actor=Actor.system(),
                               username="ayse.yilmaz", first_name="Ayşe", last_name="Yılmaz",
                               email="ayse@example.com", phone="+905551112233", amount="250.00")
    assert link.status == Status.PENDING and link.external_id
    make_due(link)
    transactions_sync_due()
    assert Transaction.objects.get(pk=link.pk).status == Status.PENDING
    requests.post(link.payment_link.payment_url, data={"action": "pay"}, timeout=5)
    make_due(link)
    transactions_sync_due()
    stored = Transaction.objects.get(pk=link.pk)
    assert (stored.status, stored.raw_status, stored.next_sync_at) == (Status.SUCCEEDED, "Completed", None)
    assert stored.events.last().source == "sync"


def test_balances_are_read_at_most_once_a_minute_per_connection_each_run_a_snapshot(enigmapay, sandbox):
    assert balances_sync_all() == 1
    assert balances_sync_all() == 1
    assert requests_to(sandbox, "enigmapay", "/ibans") == 1
    ibans = IbanAccount.objects.filter(connection=enigmapay).count()
    assert ibans and BalanceSnapshot.objects.filter(iban__connection=enigmapay).count() == ibans
    first, second = SyncRun.objects.filter(task="balances").order_by("id")
    assert (first.total, first.changed, first.error) == (ibans, ibans, "")
    assert (second.total, second.changed, second.error) == (ibans, 0, "")  # answered from the minute's read
    # A minute on, it is read again, with a new snapshot each.
    minute_ago = timezone.now() - timedelta(seconds=61)
    IbanAccount.objects.filter(connection=enigmapay).update(refresh_claimed_at=minute_ago)
    SyncRun.objects.update(started_at=minute_ago)
    balances_sync_all()
    assert requests_to(sandbox, "enigmapay", "/ibans") == 2
    assert BalanceSnapshot.objects.filter(iban__connection=enigmapay).count() == 2 * ibans


def test_a_failing_balance_connection_backs_off(sandbox, merchant, settings):
    settings.PROVIDER_CONNECT_TIMEOUT = 0.5
    connection_upsert(merchant=merchant, provider="enigmapay", mode="test",
                                  base_url="http://127.0.0.1:9/enigmapay/api/dealer", credentials=dict(DEMO_CREDENTIALS))
    assert balances_sync_all() == 1
    run = SyncRun.objects.get(task="balances")
    assert run.error and run.next_attempt_at > timezone.now() and run.finished_at
    assert balances_sync_all() == 0  # backing off


def test_the_beat_schedules_are_seeded_once_and_an_edit_in_admin_is_kept():
    from importlib import import_module

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    seed = import_module("payments.migrations.0002_sync_runs_attention").seed_schedules
    seed(apps, None)  # the test database is flushed between these tests: seed as the migration does
    tasks = {t.task: t.interval.every for t in PeriodicTask.objects.filter(task__startswith="payments.")}
    assert tasks == {"payments.tasks.transactions_sync_due": 15, "payments.tasks.balances_sync_all": 60}
    PeriodicTask.objects.filter(task="payments.tasks.balances_sync_all").update(enabled=False)
    seed(apps, None)
    assert PeriodicTask.objects.filter(task__startswith="payments.").count() == 2
    assert not PeriodicTask.objects.get(task="payments.tasks.balances_sync_all").enabled


def test_many_due_rows_wait_their_turn_in_batches(enigmapay, sandbox, settings):
    settings.SYNC_BATCH_SIZE = 2
    rows = [Transaction.objects.create(merchant=enigmapay.merchant, connection=enigmapay, provider="enigmapay",
                                       kind=Kind.PAYOUT, amount="10.00", currency="TRY", external_id=str(1001 + i))
            for i in range(5)]
    make_due(*rows)
    assert transactions_sync_due() == 5
    run = SyncRun.objects.get()
    assert (run.total, run.done) == (5, 5) and run.finished_at
    assert requests_to(sandbox, "enigmapay", "/transaction-status") == 5  # one call per transaction


def test_a_batch_delivered_twice_asks_and_counts_each_transaction_once(enigmapay, sandbox):
    rows = [Transaction.objects.create(merchant=enigmapay.merchant, connection=enigmapay, provider="enigmapay",
                                       kind=Kind.PAYOUT, amount="10.00", currency="TRY", external_id=str(1001 + i))
            for i in range(3)]
    make_due(*rows)
    now = timezone.now()
    lease = now + timedelta(minutes=6)
    pks = sync._claim(enigmapay, now=now, lease_until=lease, manual=False)
    run = SyncRun.objects.create(task="transactions", merchant=enigmapay.merchant, connection=enigmapay, total=3)
    sync.transactions_sync_batch(run_id=run.pk, pks=pks, lease_until=lease)
    sync.transactions_sync_batch(run_id=run.pk, pks=pks, lease_until=lease)  # the message came again
    run.refresh_from_db()
    assert (run.total, run.done, run.changed, run.failed) == (3, 3, 3, 0) and run.finished_at
    assert requests_to(sandbox, "enigmapay", "/transaction-status") == 3  # the repeat asked nothing
    assert not Transaction.objects.filter(sync_lease_until__isnull=False).exists()


def test_a_run_whose_worker_died_is_closed_once_its_lease_has_run_out(enigmapay, sandbox, settings):
    settings.SYNC_LEASE_SECONDS = 60
    dead = SyncRun.objects.create(task="transactions", merchant=enigmapay.merchant, connection=enigmapay, total=4)
    live = SyncRun.objects.create(task="transactions", merchant=enigmapay.merchant, connection=enigmapay, total=4)
    SyncRun.objects.filter(pk=dead.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    transactions_sync_due()
    dead.refresh_from_db()
    live.refresh_from_db()
    assert dead.finished_at and dead.error == sync.INTERRUPTED
    assert live.finished_at is None and live.error == ""  # still within its lease: maybe still running


@pytest.mark.skipif(db_connection.vendor == "sqlite", reason="threads need PostgreSQL (one writer on SQLite)")
def test_the_soft_time_limit_stops_every_thread_and_leaves_the_rest_due(enigmapay, sandbox, settings):
    import signal

    from celery.exceptions import SoftTimeLimitExceeded

    settings.SYNC_THREADS_PER_BATCH = 4
    rows = [Transaction.objects.create(merchant=enigmapay.merchant, connection=enigmapay, provider="enigmapay",
                                       kind=Kind.PAYOUT, amount="10.00", currency="TRY", external_id=str(1001 + i % 4))
            for i in range(40)]
    make_due(*rows)
    arm_fault(sandbox, "enigmapay", "transaction_status", "slow", delay=0.3, count=100)
    now = timezone.now()
    lease = now + timedelta(minutes=6)
    pks = sync._claim(enigmapay, now=now, lease_until=lease, manual=False)
    run = SyncRun.objects.create(task="transactions", merchant=enigmapay.merchant, connection=enigmapay, total=40)

    def soft_limit(signum, frame):  # as billiard raises it in the task's thread
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, soft_limit)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(SoftTimeLimitExceeded):
            sync.transactions_sync_batch(run_id=run.pk, pks=pks, lease_until=lease)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    asked = requests_to(sandbox, "enigmapay", "/transaction-status")
    time.sleep(0.8)
    assert requests_to(sandbox, "enigmapay", "/transaction-status") == asked < 40  # every thread stopped
    run.refresh_from_db()
    assert run.finished_at and run.error == sync.STOPPED and run.done == asked
    done = Transaction.objects.filter(pk__in=pks, status=Status.SUCCEEDED)
    rest = Transaction.objects.filter(pk__in=pks, status=Status.PENDING)
    assert done.count() == asked and rest.count() == 40 - asked
    assert not Transaction.objects.filter(pk__in=pks, sync_lease_until__isnull=False).exists()
    assert all(t.next_sync_at <= timezone.now() for t in rest)  # due again at once


def test_a_batch_applies_its_answers_in_groups_once_each(enigmapay, sandbox):
    """More rows than one apply group (``APPLY_EVERY``), plus one EnigmaPay does not know:
    every known one turns succeeded with exactly one event, asked once; the unknown id is
    a failure of that row only. With PostgreSQL this runs on the batch's threads."""
    rows = [Transaction.objects.create(merchant=enigmapay.merchant, connection=enigmapay, provider="enigmapay",
                                       kind=Kind.PAYOUT, amount="10.00", currency="TRY", external_id=str(1001 + i % 4))
            for i in range(sync.APPLY_EVERY * 2 + 3)]
    missing = Transaction.objects.create(merchant=enigmapay.merchant, connection=enigmapay, provider="enigmapay",
                                         kind=Kind.PAYOUT, amount="10.00", currency="TRY", external_id="999999")
    make_due(*rows, missing)
    now = timezone.now()
    lease = now + timedelta(minutes=6)
    pks = sync._claim(enigmapay, now=now, lease_until=lease, manual=False)
    assert len(pks) == len(rows) + 1
    run = SyncRun.objects.create(task="transactions", merchant=enigmapay.merchant, connection=enigmapay,
                                 total=len(pks))
    sync.transactions_sync_batch(run_id=run.pk, pks=pks, lease_until=lease)
    run.refresh_from_db()
    assert (run.done, run.changed, run.failed) == (len(rows) + 1, len(rows), 1) and run.finished_at
    assert requests_to(sandbox, "enigmapay", "/transaction-status") == len(rows) + 1
    for row in Transaction.objects.filter(pk__in=[r.pk for r in rows]):
        assert (row.status, row.sync_attempts, row.next_sync_at, row.sync_lease_until) == (
            Status.SUCCEEDED, 1, None, None)
        assert [(e.from_status, e.to_status) for e in row.events.all()] == [(Status.PENDING, Status.SUCCEEDED)]
    stored = Transaction.objects.get(pk=missing.pk)
    assert stored.status == Status.PENDING and stored.sync_attempts == 1 and stored.last_error
    assert not stored.events.exists() and stored.sync_lease_until is None


def test_one_failure_after_answers_waiting_in_their_group_is_not_a_connection_down():
    """An answer applied later with its group counts for the connection's health when it
    comes: one failing call after 24 good ones does not stop the batch."""
    from datetime import timedelta

    tally = sync._Tally(run_id=0, lease_until=timezone.now() + timedelta(minutes=6))
    for _ in range(24):
        tally.answered_upstream()
    tally.add(1, failed=True, connection_failure=True, error="EnigmaPay is not answering.")
    assert not tally.connection_down
    alone = sync._Tally(run_id=0, lease_until=timezone.now() + timedelta(minutes=6))
    alone.add(1, failed=True, connection_failure=True, error="EnigmaPay is not answering.")
    assert alone.connection_down  # every call so far failed: the connection is down
