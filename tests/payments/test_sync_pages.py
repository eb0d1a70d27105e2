"""What people see of the sync: the home page's needs-attention and sync health block,
"sync now" with its progress, the live status fragments, and the admin action."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from payments.models import Kind, Status, SyncRun, Transaction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def payout(connection, **fields):
    return Transaction.objects.create(merchant=connection.merchant, connection=connection, provider="enigmapay",
                                      kind=Kind.PAYOUT, amount="120.00", currency="TRY", **fields)


def test_home_lists_what_needs_attention_with_the_reason(enigmapay, members):
    flagged = payout(enigmapay, status=Status.UNKNOWN, needs_attention_since=timezone.now(),
                     attention_reason="EnigmaPay has shown no record of it after 24 h.")
    payout(enigmapay, status=Status.PENDING)  # followed, not flagged
    page = client_for(members["viewer"]).get(reverse("accounts:dashboard")).content.decode()
    block = page.split('data-testid="attention"')[1].split("</section>")[0]
    assert flagged.reference in block and "no record of it after 24 h" in block and "Unknown" in block
    assert block.count('data-testid="attention-PD-') == 1


def test_home_says_when_nothing_needs_attention(enigmapay, members):
    page = client_for(members["viewer"]).get(reverse("accounts:dashboard")).content.decode()
    assert 'data-testid="attention-none"' in page


def test_home_shows_each_connections_sync_health(enigmapay, members):
    now = timezone.now()
    SyncRun.objects.create(task="transactions", merchant=enigmapay.merchant, connection=enigmapay, total=4, done=4,
                           changed=1, started_at=now, finished_at=now)
    SyncRun.objects.create(task="balances", merchant=enigmapay.merchant, connection=enigmapay, started_at=now,
                           finished_at=now, error="EnigmaPay is not answering right now.",
                           next_attempt_at=now + timedelta(minutes=1))
    page = client_for(members["viewer"]).get(reverse("accounts:dashboard")).content.decode()
    row = page.split('data-testid="sync-enigmapay-test"')[1].split("</tr>")[0]
    assert "4 checked, 1 changed" in row
    assert "Failing" in row and "not answering" in row and "retry at" in row


def test_sync_now_is_for_owners_and_managers(enigmapay, members):
    viewer_page = client_for(members["viewer"]).get(reverse("accounts:dashboard")).content.decode()
    assert 'data-testid="sync-now"' not in viewer_page
    assert client_for(members["viewer"]).post(reverse("payments:sync-now")).status_code == 403
    manager_page = client_for(members["manager"]).get(reverse("accounts:dashboard")).content.decode()
    assert 'data-testid="sync-now"' in manager_page and 'hx-post="/dashboard/sync/now/"' in manager_page


def test_sync_now_runs_and_its_progress_stops_polling_when_done(enigmapay, members, sandbox):
    tx = payout(enigmapay, external_id="1001", next_sync_at=timezone.now() + timedelta(hours=1))  # not due yet
    response = client_for(members["manager"]).post(reverse("payments:sync-now"), HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    run = SyncRun.objects.get(task="transactions")
    assert (run.trigger, run.requested_by, run.total) == ("manual", members["manager"], 1)
    assert Transaction.objects.get(pk=tx.pk).status == Status.SUCCEEDED  # seeded 1001 is Completed
    # Enqueued after commit: the fragment was drawn before the run, so it polls.
    assert 'hx-trigger="every 2s"' in fragment and f"runs={run.pk}" in fragment
    again = client_for(members["manager"]).get(reverse("payments:sync-progress"), {"runs": run.pk})
    text = again.content.decode()
    assert "Sync finished." in text and "hx-trigger" not in text
    assert '<strong data-testid="sync-done">1</strong> of 1' in text
    assert '<strong data-testid="sync-changed">1</strong> changed' in text
    assert SyncRun.objects.filter(task="balances", trigger="manual").exists()


def test_progress_shows_only_the_merchants_own_runs(enigmapay, members):
    from tests.factories import ConnectionFactory

    theirs = ConnectionFactory()
    run = SyncRun.objects.create(task="transactions", merchant=theirs.merchant, connection=theirs, total=9)
    text = client_for(members["owner"]).get(reverse("payments:sync-progress"), {"runs": run.pk}).content.decode()
    assert "9" not in text and "Nothing to sync" in text


def test_the_detail_status_polls_while_open_and_stops_when_final(enigmapay, members):
    tx = payout(enigmapay, status=Status.PENDING)
    client = client_for(members["viewer"])
    page = client.get(reverse("payments:transaction-detail", args=[tx.pk])).content.decode()
    status_url = reverse("payments:transaction-status", args=[tx.pk])
    assert f'hx-get="{status_url}"' in page and "htmx" in page  # the script is on the page
    Transaction.objects.filter(pk=tx.pk).update(status=Status.SUCCEEDED, raw_status="Completed")
    fragment = client.get(status_url).content.decode()
    assert ">Succeeded</span>" in fragment and "hx-get" not in fragment
    assert "Succeeded <span class=\"muted\">(EnigmaPay says" in fragment  # the facts move with it
    assert "{#" not in page + fragment and "comment" not in page + fragment


def test_the_list_polls_only_its_open_rows(enigmapay, members):
    open_tx = payout(enigmapay, status=Status.PENDING)
    done_tx = payout(enigmapay, status=Status.SUCCEEDED)
    client = client_for(members["viewer"])
    page = client.get(reverse("payments:transaction-list")).content.decode()
    assert f"?ids={open_tx.pk}\"" in page
    Transaction.objects.filter(pk=open_tx.pk).update(status=Status.FAILED)
    fragment = client.get(reverse("payments:transaction-statuses"), {"ids": f"{open_tx.pk},{done_tx.pk}"})
    text = fragment.content.decode()
    assert f'id="tx-status-{open_tx.pk}" hx-swap-oob="true" class="status status-failed">Failed' in text
    assert 'id="tx-status-poller" hx-swap-oob="true"></div>' in text  # nothing open: polling stops


def test_the_admin_action_makes_open_rows_due_and_leaves_final_ones(enigmapay, sandbox, admin_client):
    flagged = payout(enigmapay, external_id="1001", needs_attention_since=timezone.now(), attention_reason="x")
    final = payout(enigmapay, status=Status.FAILED)
    admin_client.post(reverse("admin:payments_transaction_changelist"),
                      {"action": "resync", "_selected_action": [flagged.pk, final.pk]})
    flagged.refresh_from_db()
    assert flagged.status == Status.SUCCEEDED and flagged.needs_attention_since is None
    assert Transaction.objects.get(pk=final.pk).next_sync_at is None
    assert admin_client.get(reverse("admin:payments_syncrun_changelist")).status_code == 200
