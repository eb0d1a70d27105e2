"""A manager's EnKash day in a real browser against the sandbox: a paid order settles,
"Search EnKash now" finds the payout, the list and the detail show it with the paid
item linked to Paydesk's own payment; a QR code is created, its PNG shown, then
cancelled. Screenshots go to tests/artifacts/."""

import re

import pytest

from payments.models import Kind, QrCode, Transaction
from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.enkash_settlements.support import own_payment, paid_order, run_settlement
from tests.helpers import requests_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DESKTOP = {"width": 1280, "height": 900}


def test_manager_searches_enkash_and_sees_the_settlement(page, live_server, enkash, members, sandbox):
    payment = paid_order(sandbox, "ORD501", "2500.00")
    mine = own_payment(enkash, payment.transaction_id, "2500.00")
    payout = run_settlement(sandbox)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "manager")
    page.click("nav >> text=Settlements")
    assert "No settlements yet" in page.get_by_test_id("empty").inner_text()
    page.get_by_test_id("search-enkash").click()
    page.wait_for_selector("[data-testid=settlements]")
    assert "EnKash listed 3 settlement payout(s)" in page.locator(".flash").inner_text()
    row = page.get_by_test_id(f"settlement-{payout['id']}")
    assert "2,500.00 INR" in row.inner_text()
    assert "3,905.11 INR" in page.get_by_test_id("settlement-EKSP000000000007").inner_text()
    shot(page, "enkash-settlement-list")

    row.locator("a").click()
    page.wait_for_url(re.compile(r".*/dashboard/enkash/settlements/\d+/$"))
    assert "2,500.00 INR" in page.get_by_test_id("totals").inner_text()
    assert "1 of 1 matched" in page.get_by_test_id("match-summary").inner_text()
    shot(page, "enkash-settlement-detail")
    page.get_by_test_id("matched").click()
    page.wait_for_url(f"**/dashboard/transactions/{mine.pk}/")
    assert mine.reference in page.locator("main").inner_text()

    page.go_back()
    page.click("nav >> text=Settlements")
    page.click("text=EKSP000000000007")
    assert "HDFCN000000000001" in page.get_by_test_id("utr").inner_text()
    assert page.get_by_test_id("unmatched").count() == 2
    shot(page, "enkash-settlement-detail-seeded")
    assert Transaction.objects.filter(kind=Kind.SETTLEMENT).count() == 3


def test_manager_creates_a_qr_code_sees_its_png_and_cancels_it(page, live_server, enkash, members, sandbox):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "manager")
    page.click("nav >> text=QR codes")
    page.get_by_test_id("new-qr").click()
    page.fill("#id_name", "Counter 1")
    page.check("input[name=usage][value=single]")
    page.check("input[name=amount_type][value=fixed]")
    page.fill("#id_amount", "499.00")
    page.fill("#id_description", "Tea set")
    page.fill("#id_expires_at", "2099-01-31T18:30")
    shot(page, "enkash-qr-form")
    page.get_by_test_id("create").dblclick()  # a double click still creates one code
    page.wait_for_url(re.compile(r".*/dashboard/enkash/qr-codes/\d+/$"))
    qr = QrCode.objects.get()
    assert requests_to(sandbox, "enkash", "/api/v0/qr-code") == 1
    assert "499.00 INR (fixed)" in page.get_by_test_id("amount").inner_text()
    width = page.get_by_test_id("qr-png").evaluate("img => img.complete && img.naturalWidth")
    assert width and width > 50  # the PNG EnKash drew, served and decoded by the browser
    shot(page, "enkash-qr-detail")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("cancel").click()
    page.wait_for_selector("text=QR code cancelled")
    assert page.get_by_test_id("state").inner_text() == "Cancelled"
    qr.refresh_from_db()
    assert qr.status == "cancelled"
    shot(page, "enkash-qr-cancelled")

    page.click("nav >> text=QR codes")
    assert "Cancelled" in page.get_by_test_id(f"qr-{qr.external_id}").inner_text()
    shot(page, "enkash-qr-list")
    page.click("text=QR customers")
    page.fill("#id_name", "Ravi Kumar")
    page.fill("#id_mobile", "9123456780")
    page.get_by_test_id("add-customer").click()
    page.wait_for_selector("text=Customer Ravi Kumar added.")
    assert "9123456780" in page.get_by_test_id("customers").inner_text()
    shot(page, "enkash-qr-customers")
