"""In a real browser: a payout's detail page turns Completed on its own, through the
periodic sync on a real Celery worker and htmx polling of its status fragment, with no
reload; and the home page's needs-attention and sync health block. Screenshots
(1366x900) go to tests/artifacts/."""

import threading
import time
from datetime import timedelta

import pytest
import requests
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.utils import timezone

from config.celery import app
from payments.models import Kind, Status, SyncRun, Transaction
from payments.services.balances import ibans_refresh
from payments.tasks import transactions_sync_due
from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.payments.test_payout_create import pay

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.celery_worker]


@pytest.fixture
def beat():
    """Enqueue the scheduled sync every second (beat's schedule is 15 s; a test has less)."""
    stop = threading.Event()

    def tick():
        while not stop.wait(1.0):
            with transaction.atomic():
                transaction.on_commit(transactions_sync_due.delay)

    thread = threading.Thread(target=tick, daemon=True)
    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        thread.start()
        yield
        stop.set()
        thread.join()
    app.control.purge()  # ticks the worker did not get to would run in the next test's worker


def test_a_payout_turns_completed_on_its_detail_page_without_a_reload(page, live_server, enigmapay, members,
                                                                         sandbox, beat):
    requests.post(f"{sandbox.url}/_sandbox/config", json={"provider": "enigmapay", "completion_delay": 2}, timeout=5)
    ibans_refresh(connection=enigmapay)
    payout = pay(enigmapay, members["manager"])
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/dashboard/transactions/{payout.pk}/")
    assert page.locator("#tx-live h1 [data-testid=status]").inner_text() == "Pending"
    loads = []
    page.on("load", lambda _: loads.append(1))
    # EnigmaPay completes it 2 s after it was sent; the first sync is due 30 s after it was
    # made. Bring that forward, once EnigmaPay has done it (an earlier ask would back off).
    time.sleep(2.5)
    Transaction.objects.filter(pk=payout.pk).update(next_sync_at=timezone.now())
    page.locator("#tx-live h1 .status-succeeded").wait_for(timeout=30_000)
    facts = page.locator("[data-testid=facts]").inner_text()
    assert "Succeeded (EnigmaPay says Completed)" in facts  # the facts moved with it
    assert loads == []  # no reload: htmx swapped the fragment in
    assert page.locator("#tx-live h1 [data-testid=status]").inner_text() == "Succeeded"
    assert Transaction.objects.get(pk=payout.pk).events.last().source == "sync"
    shot(page, "sync-detail-completed", full_page=False)


def test_the_home_page_shows_what_needs_attention_and_sync_health(page, live_server, enigmapay, members):
    now = timezone.now()
    Transaction.objects.create(
        merchant=enigmapay.merchant, connection=enigmapay, provider="enigmapay", kind=Kind.PAYOUT,
        amount="4200.00", currency="TRY", status=Status.UNKNOWN, needs_attention_since=now - timedelta(hours=1),
        attention_reason="EnigmaPay has shown no record of it after 24 h; it may or may not have been paid.")
    SyncRun.objects.create(task="transactions", merchant=enigmapay.merchant, connection=enigmapay, total=12,
                           done=12, changed=3, started_at=now - timedelta(minutes=2),
                           finished_at=now - timedelta(minutes=2))
    SyncRun.objects.create(task="balances", merchant=enigmapay.merchant, connection=enigmapay, total=3, done=3,
                           changed=3, started_at=now - timedelta(seconds=40), finished_at=now - timedelta(seconds=40))
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/dashboard/")
    block = page.locator("[data-testid=attention]")
    assert "no record of it after 24 h" in block.inner_text()
    assert "12 checked, 3 changed" in page.locator("[data-testid=sync-health]").inner_text()
    block.scroll_into_view_if_needed()
    shot(page, "sync-home-block", full_page=False)
