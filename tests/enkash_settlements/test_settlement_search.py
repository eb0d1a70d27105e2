"""The settlement search against the EnKash sandbox: what it stores, how items are
matched, paging, status changes through the transitions, and the periodic sync."""

import datetime as dt
import json
from urllib.parse import parse_qs

import pytest

from payments.models import Kind, SettledItem, Status, SyncRun, Transaction
from payments.services.common import Actor
from payments.services.enkash_settlements import settlements_search
from payments.sync.enkash_settlements import enkash_settlement, settlement_connections_due, settlements_sync
from tests.conftest import arm_fault
from tests.enkash_settlements.support import own_payment, paid_order, run_settlement
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db(transaction=True)


def settlements():
    return Transaction.objects.filter(kind=Kind.SETTLEMENT).select_related("settlement")


def test_search_records_the_seeded_payouts_with_totals_and_items(enkash, sandbox):
    result = settlements_search(connection=enkash, actor=Actor.system())
    assert result.found == 2 and result.created == 2
    paid = settlements().get(status=Status.SUCCEEDED)
    detail = paid.settlement
    assert paid.provider == "enkash" and paid.currency == "INR" and paid.raw_status == "SUCCESS"
    assert detail.utr == "HDFCN000000000001" and detail.payout_date is not None
    assert str(detail.total_sales) == "3999.50" and detail.total_gst > 0 and detail.total_charges > 0
    assert paid.amount == detail.settlement_amount == (
        detail.total_sales - detail.total_refunds - detail.total_charges - detail.total_gst)
    assert detail.items.count() == 2 and {i.order_id for i in detail.items.all()} == {"SEED1001", "SEED1002"}
    assert settlements().get(status=Status.FAILED).settlement.utr == ""
    # The timeline says where the row came from.
    assert "settlement search" in paid.events.get().note
    # Searching again adds nothing and reads the items no more.
    before = requests_to(sandbox, "enkash", f"/api/v0/settlement-payout/{paid.external_id}")
    again = settlements_search(connection=enkash, actor=Actor.system())
    assert again.found == 2 and again.created == 0 and settlements().count() == 2
    assert requests_to(sandbox, "enkash", f"/api/v0/settlement-payout/{paid.external_id}") == before


def test_a_new_settlement_is_found_and_its_item_linked_to_paydesks_payment(enkash, sandbox):
    payment = paid_order(sandbox, "ORD77", "1000.00")
    mine = own_payment(enkash, payment.transaction_id)
    payout = run_settlement(sandbox)
    result = settlements_search(connection=enkash, actor=Actor.system(), utr=None)
    assert result.created == 3
    tx = settlements().get(external_id=payout["id"])
    item = tx.settlement.items.get()
    assert item.external_id == payment.transaction_id and item.matched == mine
    assert str(item.amount) == "1000.00" and item.charges > 0 and item.net_amount < item.amount
    # The payout is pending (INIT) until EnKash pays it: due for the status sync.
    assert tx.status == Status.PENDING and tx.next_sync_at is not None


def test_an_unknown_item_stays_unmatched_then_links_once_paydesk_knows_it(enkash, sandbox):
    payment = paid_order(sandbox, "ORD78")
    payout = run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    item = SettledItem.objects.get(settlement__transaction__external_id=payout["id"])
    assert item.matched is None
    mine = own_payment(enkash, payment.transaction_id)
    settlements_search(connection=enkash, actor=Actor.system())
    item.refresh_from_db()
    assert item.matched == mine


def test_a_payment_of_another_connection_is_never_matched(enkash, sandbox, merchant):
    from tests.factories import ConnectionFactory, MerchantFactory

    payment = paid_order(sandbox, "ORD79")
    other = ConnectionFactory(merchant=MerchantFactory(), provider="enkash")
    own_payment(other, payment.transaction_id)
    run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    assert not SettledItem.objects.filter(external_id=payment.transaction_id, matched__isnull=False).exists()


def test_the_status_moves_through_the_transitions_when_enkash_pays_out(enkash, sandbox):
    sb = sandbox.sandbox("enkash")
    paid_order(sandbox, "ORD80")
    payout = run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    tx = settlements().get(external_id=payout["id"])
    assert tx.status == Status.PENDING
    sb.payouts[payout["id"]]["due_at"] = 0  # EnKash pays it now
    outcome = enkash_settlement(tx)
    tx.refresh_from_db()
    assert outcome.status == Status.SUCCEEDED and outcome.changed
    assert tx.status == Status.SUCCEEDED and tx.next_sync_at is None and tx.settlement.utr
    assert [(e.from_status, e.to_status) for e in tx.events.all()] == [("", "pending"), ("pending", "succeeded")]


def test_search_filters_are_sent_and_pages_follow_each_other(enkash, sandbox):
    sb = sandbox.sandbox("enkash")
    result = settlements_search(connection=enkash, actor=Actor.system(), page_size=1)
    assert result.found == 2
    searches = [r for r in sb.received if r.path == "/api/v0/settlement-payout/search"]
    assert [parse_qs(r.query)["offset"] for r in searches] == [["0"], ["1"]]
    assert all(parse_qs(r.query)["limit"] == ["1"] for r in searches)
    settlements_search(connection=enkash, actor=Actor.system(), status=Status.SUCCEEDED,
                       from_date=dt.date(2020, 1, 1), to_date=dt.date(2099, 1, 1), utr="HDFCN000000000001")
    last = [r for r in sb.received if r.path == "/api/v0/settlement-payout/search"][-1]
    assert json.loads(last.body) == {"fromDate": "2020-01-01", "toDate": "2099-01-01", "payoutStatus": "SUCCESS",
                         "utr": "HDFCN000000000001"}


def test_the_periodic_search_records_a_run_and_backs_off_when_enkash_fails(enkash, sandbox):
    run = settlements_sync(connection=enkash)
    assert run.task == SyncRun.Task.SETTLEMENTS and run.total == 2 and run.changed == 2 and not run.error
    assert settlement_connections_due() == [enkash.pk]
    arm_fault(sandbox, "enkash", "search_settlement_payouts", "500", count=10)
    failed = settlements_sync(connection=enkash)
    assert failed.error and failed.next_attempt_at is not None and failed.consecutive_failures == 1
    assert settlement_connections_due() == []
    assert settlements().count() == 2  # nothing lost


def test_the_scheduled_task_fans_out_per_connection(enkash, sandbox):
    from config.celery import app
    from payments import tasks

    # On the app's own conf: a settings override is not seen once Celery has read its config.
    app.conf.task_always_eager = True
    try:
        assert tasks.enkash_settlements_search_all.apply().get() == 1
    finally:
        app.conf.task_always_eager = False
    assert SyncRun.objects.filter(task="settlements", connection=enkash).count() == 1
    assert settlements().count() == 2


def test_the_periodic_search_is_scheduled_and_editable_in_admin():
    from importlib import import_module

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    seed = import_module("payments.migrations.0003_enkash_settlements").seed_schedules
    seed(apps, None)  # the test database is flushed between these tests: seed as the migration does
    PeriodicTask.objects.filter(name="Search EnKash settlements").update(enabled=False)
    seed(apps, None)  # an edit made in admin is kept
    assert not PeriodicTask.objects.get(name="Search EnKash settlements").enabled
    PeriodicTask.objects.filter(name="Search EnKash settlements").update(enabled=True)
    task = PeriodicTask.objects.get(name="Search EnKash settlements")
    assert task.task == "payments.tasks.enkash_settlements_search_all" and task.enabled
    assert task.interval.every == 600 and task.interval.period == "seconds"


def test_a_settlement_pending_at_enkash_is_registered_for_the_status_sync():
    from payments.sync.registry import syncable_kinds

    assert ("enkash", "settlement") in syncable_kinds()


def test_a_payout_of_nothing_is_recorded_with_its_refund_line_matched(enkash, sandbox):
    from tests.helpers import fast_client

    sb = sandbox.sandbox("enkash")
    payment = paid_order(sandbox, "ORD81", "1000.00")
    run_settlement(sandbox)
    refund = fast_client(sandbox, "enkash").refund(transaction_id=payment.transaction_id, amount="1000.00",
                                                   request_id="rf81")
    sb.refunds[refund.refund_id]["due_at"] = 0  # EnKash completes the refund now
    mine = Transaction.objects.create(merchant=enkash.merchant, connection=enkash, provider="enkash",
                                      kind=Kind.REFUND, external_id=refund.refund_id, amount="1000.00",
                                      currency="INR")
    payout = run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    tx = settlements().get(external_id=payout["id"])
    detail = tx.settlement
    assert str(detail.settlement_amount) == "0.00" and str(detail.total_refunds) == "1000.00"
    # The core demands a positive amount: the volume stands in, and the description says so.
    assert str(tx.amount) == "1000.00" and "Nothing paid out" in tx.description
    item = detail.items.get()
    assert item.type == "REFUND" and item.matched == mine and str(item.net_amount) == "-1000.00"


def test_a_pending_payout_turns_succeeded_through_the_scheduled_status_sync(enkash, sandbox):
    from datetime import timedelta

    from django.utils import timezone

    from config.celery import app
    from payments.tasks import transactions_sync_due

    paid_order(sandbox, "ORD82")
    payout = run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    tx = settlements().get(external_id=payout["id"])
    sandbox.sandbox("enkash").payouts[payout["id"]]["due_at"] = 0
    Transaction.objects.filter(pk=tx.pk).update(next_sync_at=timezone.now() - timedelta(seconds=1))
    app.conf.task_always_eager = True
    try:
        assert transactions_sync_due() == 1
    finally:
        app.conf.task_always_eager = False
    tx.refresh_from_db()
    assert (tx.status, tx.raw_status, tx.next_sync_at) == (Status.SUCCEEDED, "SUCCESS", None)
    assert tx.events.last().source == "sync" and tx.settlement.utr
    run = SyncRun.objects.get(task="transactions")
    assert (run.total, run.done, run.changed, run.failed) == (1, 1, 1, 0)
