"""Vospay orders through the real sync scheduler (claim → batch task → syncer →
verify-transaction on the sandbox): only orders whose customer reached Vospay are
claimed, an unknown finalize is resolved, and a "sync now" never asks about an order
still waiting for its customer. Also: the generic transaction page links an order to
its Vospay page, and staff see orders read-only in admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from config.celery import app
from payments.models import Status, SyncRun, Transaction
from payments.sync import transactions as sync
from payments.sync.registry import syncable_kinds
from payments.tasks import transactions_sync_due
from tests.helpers import requests_to
from tests.vospay.support import customer_finalizes, make_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_vospay_orders_have_a_syncer():
    assert ("vospay", "order") in syncable_kinds()


def test_the_scheduler_asks_only_about_orders_at_vospay_and_resolves_an_unknown(sandbox, vospay, merchant):
    waiting = make_order(vospay)
    finalized = make_order(vospay)
    checkout = customer_finalizes(sandbox, finalized)
    # The checkout lost finalize's answer: the order is unknown, due now.
    Transaction.objects.filter(pk=finalized.pk).update(
        status=Status.UNKNOWN, external_id=checkout.authorized.transaction_id,
        next_sync_at=timezone.now() - timedelta(seconds=1))
    assert transactions_sync_due() == 1
    finalized.refresh_from_db()
    assert (finalized.status, finalized.raw_status) == (Status.PENDING, "Pending")
    assert finalized.vospay_order.verified_at is not None
    assert finalized.next_sync_at is not None  # a Pending contract is followed until it settles
    assert requests_to(sandbox, "vospay", "/verify-transaction") == 1
    # "Sync now" takes what is open and syncable by hand, but never the order still
    # waiting for its customer (nothing at Vospay to ask about).
    runs = sync.transactions_dispatch(merchant=merchant, trigger=SyncRun.Trigger.MANUAL)
    assert [r.total for r in runs] == [1]
    waiting.refresh_from_db()
    assert waiting.next_sync_at is None and waiting.events.count() == 1
    assert requests_to(sandbox, "vospay", "/verify-transaction") == 2


def test_the_transaction_page_links_to_the_order_page(vospay, members):
    order = make_order(vospay)
    client = Client()
    client.force_login(members["viewer"])
    page = client.get(f"/dashboard/transactions/{order.pk}/").content.decode()
    assert f'href="/dashboard/vospay/orders/{order.pk}/" data-testid="vospay-order-link"' in page


def test_staff_see_orders_read_only_in_admin_without_the_checkout_token(vospay):
    from django.contrib.auth import get_user_model

    order = make_order(vospay)
    staff = get_user_model().objects.create_superuser("root", "root@example.test", "x-very-long-pass-1")
    client = Client()
    client.force_login(staff)
    listing = client.get("/admin/payments/vospayorder/").content.decode()
    assert order.reference in listing
    page = client.get(f"/admin/payments/vospayorder/{order.vospay_order.pk}/change/").content.decode()
    assert "Headphones" in page and "sbx_mk_bukalapak" in page
    assert order.vospay_order.checkout_token not in page
    assert client.get("/admin/payments/vospayorder/add/").status_code == 403
