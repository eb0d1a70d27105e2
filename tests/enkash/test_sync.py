"""EnKash orders, payments and refunds through the scheduled status sync (tasks run
eagerly after commit, as test_sync.py does for EnigmaPay), and the renewal schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from payments.models import Kind, Status, SyncRun, Transaction
from payments.services.refunds import refund_create
from payments.sync.registry import syncable_kinds
from payments.tasks import transactions_sync_due
from tests.enkash.conftest import new_order, paid_order, payer_pays
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def make_due(*txs):
    Transaction.objects.filter(pk__in=[t.pk for t in txs]).update(next_sync_at=timezone.now() - timedelta(seconds=1))


def test_each_enkash_kind_has_a_syncer():
    assert {("enkash", Kind.ORDER), ("enkash", Kind.PAYMENT), ("enkash", Kind.REFUND)} <= syncable_kinds()


def test_a_paid_order_turns_succeeded_and_its_payment_is_recorded_by_the_sync(sandbox, enkash, actor):
    order = new_order(enkash, actor)
    payer_pays(sandbox, order)
    make_due(order)
    assert transactions_sync_due() == 1
    order.refresh_from_db()
    assert order.status == Status.SUCCEEDED and order.next_sync_at is None
    payment = order.children.get(kind=Kind.PAYMENT)
    assert payment.status == Status.SUCCEEDED and payment.events.first().source == "sync"
    run = SyncRun.objects.get()
    assert (run.total, run.done, run.changed, run.failed) == (1, 1, 1, 0)
    assert transactions_sync_due() == 0  # final: never asked again


def test_a_pending_refund_completes_through_the_sync_and_a_full_refund_marks_the_payment(sandbox, enkash, actor):
    _, payment = paid_order(sandbox, enkash, actor, amount="300.00")
    refund = refund_create(payment=payment, amount=None, actor=actor)
    assert refund.status == Status.PENDING
    wait_for(lambda: all(r["status"] == "SUCCESS" for r in sandbox.sandbox("enkash").refunds.values()), 5)
    make_due(refund)
    transactions_sync_due()
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == Status.SUCCEEDED and refund.enkash_refund.arn.startswith("ARN")
    assert payment.status == Status.REFUNDED and payment.raw_status == "REFUNDED"


def test_the_token_renewal_is_scheduled_and_its_task_registered():
    from importlib import import_module

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    import_module("payments.migrations.0004_enkash").seed_schedules(apps, None)
    task = PeriodicTask.objects.get(name="Renew EnKash session tokens")
    assert task.task == "providers.tasks.enkash_tokens_renew" and task.interval.every == 300 and task.enabled
    app.loader.import_default_modules()
    assert task.task in app.tasks
