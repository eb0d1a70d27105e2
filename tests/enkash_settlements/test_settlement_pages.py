"""The settlement pages per role against the EnKash sandbox: list with filters and
paging, CSV, "search EnKash now", detail with totals and matched / unmatched items."""

import csv
import io
import re

import pytest

from payments.models import Kind, SyncRun, Transaction
from payments.services.common import Actor
from payments.services.enkash_settlements import settlements_search
from tests.enkash_settlements.support import own_payment, paid_order, run_settlement, signed_in
from tests.helpers import requests_to

pytestmark = pytest.mark.django_db(transaction=True)
LIST = "/dashboard/enkash/settlements/"


def searched(enkash):
    settlements_search(connection=enkash, actor=Actor.system())
    return {t.raw_status: t for t in Transaction.objects.filter(kind=Kind.SETTLEMENT)}


@pytest.mark.parametrize("role", ["owner", "manager", "viewer"])
def test_every_member_sees_the_list_and_the_detail(enkash, members, sandbox, role):
    found = searched(enkash)
    client = signed_in(members[role])
    page = client.get(LIST).content.decode()
    paid, failed = found["SUCCESS"], found["FAILED"]
    assert paid.external_id in page and failed.external_id in page
    assert "HDFCN000000000001" in page and "3,905.11 INR" in page and "Settlements" in page
    assert ("Search EnKash now" in page) == (role != "viewer")
    detail = client.get(f"{LIST}{paid.pk}/").content.decode()
    assert "3,999.50 INR" in detail and "79.99 INR" in detail and "14.40 INR" in detail  # sales, charges, GST
    assert "HDFCN000000000001" in detail and paid.settlement.payout_date.isoformat() in detail
    assert "SEED1001" in detail and "unmatched" in detail and "0 of 2 matched" in detail
    assert "Found by the EnKash settlement search" in detail  # the timeline
    assert ("Ask EnKash again" in detail) == (role != "viewer")


def test_a_matched_item_links_to_paydesks_transaction(enkash, members, sandbox):
    payment = paid_order(sandbox, "ORD90", "2500.00")
    mine = own_payment(enkash, payment.transaction_id, "2500.00")
    payout = run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    tx = Transaction.objects.get(kind=Kind.SETTLEMENT, external_id=payout["id"])
    page = signed_in(members["viewer"]).get(f"{LIST}{tx.pk}/").content.decode()
    assert f'href="/dashboard/transactions/{mine.pk}/"' in page and mine.reference in page
    assert "1 of 1 matched" in page and "2,500.00 INR" in page


def test_filters_by_status_utr_dates_and_search(enkash, members, sandbox):
    found = searched(enkash)
    paid, failed = found["SUCCESS"], found["FAILED"]
    client = signed_in(members["viewer"])

    def shown(query):
        page = client.get(f"{LIST}?{query}").content.decode()
        return {t.external_id for t in (paid, failed) if t.external_id in page}

    assert shown("status=succeeded") == {paid.external_id}
    assert shown("status=failed") == {failed.external_id}
    assert shown("utr=hdfcn000000000001") == {paid.external_id}
    day = paid.settlement.payout_date.isoformat()
    assert shown(f"payout_from={day}&payout_to={day}") == {paid.external_id}
    assert shown("q=SEED2001") == {failed.external_id}  # an order settled in it
    assert shown(f"q={paid.reference}") == {paid.external_id}
    page = client.get(f"{LIST}?payout_from=2026-12-05&payout_to=2026-12-01").content.decode()
    assert "end date is before the start date" in page and paid.external_id not in page
    assert "Enter a valid date" in client.get(f"{LIST}?payout_from=tomorrow").content.decode()


def test_keyset_pages_and_a_forged_cursor(enkash, members, sandbox, monkeypatch):
    from payments.views import enkash_settlements as views

    found = searched(enkash)
    real = views.transaction_page
    monkeypatch.setattr(views, "transaction_page", lambda **kw: real(**kw, size=1))
    client = signed_in(members["viewer"])
    first = client.get(LIST).content.decode()
    # Newest record first: the later payout date was recorded last (searched oldest first).
    assert found["FAILED"].external_id in first and found["SUCCESS"].external_id not in first
    older = re.search(r'href="\?after=([^"]+)"', first).group(1)
    second = client.get(f"{LIST}?after={older}").content.decode()
    assert found["SUCCESS"].external_id in second and found["FAILED"].external_id not in second
    assert "← Newer" in second
    assert "not valid any more" in client.get(f"{LIST}?after=bm9wZQ").content.decode()


def test_csv_export_streams_the_filtered_rows(enkash, members, sandbox):
    found = searched(enkash)
    response = signed_in(members["viewer"]).get(f"{LIST}export.csv?status=succeeded")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["payout_id"] for r in rows] == [found["SUCCESS"].external_id]
    assert rows[0]["utr"] == "HDFCN000000000001" and rows[0]["settlement_amount"] == "3905.11"
    assert rows[0]["total_gst"] == "14.40" and rows[0]["currency"] == "INR"
    bad = signed_in(members["viewer"]).get(f"{LIST}export.csv?payout_from=nope")
    assert bad.status_code == 400 and "Fix the filters" in bad.content.decode()


def test_the_items_of_one_payout_export_with_their_paydesk_reference(enkash, members, sandbox):
    payment = paid_order(sandbox, "ORD92", "700.00")
    mine = own_payment(enkash, payment.transaction_id, "700.00")
    payout = run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    tx = Transaction.objects.get(external_id=payout["id"])
    client = signed_in(members["viewer"])
    assert f"{LIST}{tx.pk}/items.csv" in client.get(f"{LIST}{tx.pk}/").content.decode()
    response = client.get(f"{LIST}{tx.pk}/items.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [{
        "payout_id": payout["id"], "utr": rows[0]["utr"], "payout_date": rows[0]["payout_date"], "type": "SALE",
        "enkash_transaction_id": payment.transaction_id, "order_id": "ORD92", "amount": "700.00",
        "charges": "14.00", "gst": "2.52", "net_amount": "683.48", "paydesk_reference": mine.reference}]


def test_manager_searches_enkash_now_with_the_filters(enkash, members, sandbox):
    client = signed_in(members["manager"])
    response = client.post(f"{LIST}search/", {"status": "succeeded", "utr": "", "payout_from": "", "payout_to": ""},
                           follow=True)
    page = response.content.decode()
    assert "EnKash listed 1 settlement payout(s); 1 new or changed." in page
    assert response.redirect_chain[-1][0] == f"{LIST}?status=succeeded"
    assert Transaction.objects.filter(kind=Kind.SETTLEMENT).count() == 1
    run = SyncRun.objects.get(task=SyncRun.Task.SETTLEMENTS)
    assert run.trigger == "manual" and run.requested_by == members["manager"]
    assert "Last search of" in page


def test_a_failing_enkash_search_says_so_and_keeps_what_was_stored(enkash, members, sandbox):
    from tests.conftest import arm_fault

    searched(enkash)
    arm_fault(sandbox, "enkash", "search_settlement_payouts", "503", count=10)
    page = signed_in(members["manager"]).post(f"{LIST}search/", {}, follow=True).content.decode()
    assert "EnKash could not be searched just now" in page
    assert Transaction.objects.filter(kind=Kind.SETTLEMENT).count() == 2


def test_viewer_cannot_search_or_check(enkash, members, sandbox):
    found = searched(enkash)
    client = signed_in(members["viewer"])
    before = requests_to(sandbox, "enkash", "/api/v0/settlement-payout/search")
    assert client.post(f"{LIST}search/", {}).status_code == 403
    assert client.post(f"{LIST}{found['SUCCESS'].pk}/check/").status_code == 403
    assert requests_to(sandbox, "enkash", "/api/v0/settlement-payout/search") == before


def test_manager_asks_enkash_about_one_payout(enkash, members, sandbox):
    paid_order(sandbox, "ORD91")
    payout = run_settlement(sandbox)
    settlements_search(connection=enkash, actor=Actor.system())
    tx = Transaction.objects.get(external_id=payout["id"])
    sandbox.sandbox("enkash").payouts[payout["id"]]["due_at"] = 0
    page = signed_in(members["manager"]).post(f"{LIST}{tx.pk}/check/", follow=True).content.decode()
    assert "EnKash says SUCCESS" in page
    tx.refresh_from_db()
    assert tx.status == "succeeded" and tx.events.last().actor == "manager"


def test_without_enkash_the_list_says_so(merchant, members):
    page = signed_in(members["owner"]).get(LIST).content.decode()
    assert "No EnKash connection yet" in page and "Search EnKash now" not in page
