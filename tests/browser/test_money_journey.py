"""A manager's day, in a real browser against the EnigmaPay sandbox: balances and charts
on the home page, a payout through its confirmation, the payout in the list and its
timeline, and a card payment link to share. Screenshots go to tests/artifacts/."""

import pytest

from payments.models import Status, Transaction
from providers.enigmapay import testdata
from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.helpers import requests_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DESKTOP = {"width": 1366, "height": 900}


def test_manager_sees_balances_pays_out_and_shares_a_link(page, live_server, enigmapay, members, sandbox):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "manager")
    page.click("nav >> text=IBANs & balances")
    assert "125000.00 TRY" in page.get_by_test_id("iban-1").inner_text()
    shot(page, "ibans")

    page.click("nav >> text=Home")
    home = page.locator("main")
    assert "125000.00" in home.inner_text()  # the balance table behind the chart
    assert page.locator("canvas").count() >= 1  # the charts were drawn
    shot(page, "home-manager")

    page.click("nav >> text=New payout")
    page.fill("#id_username", "ayse.yilmaz")
    page.fill("#id_customer_iban", "TR88 0006 4000 0000 0000 0010 01")
    page.fill("#id_customer_name", "Ayşe Yılmaz")
    page.fill("#id_amount", "1250.50")
    page.fill("#id_description", "Order 77 refund")
    page.click("text=Review payout")
    confirmation = page.get_by_test_id("confirmation")
    assert "1250.50 TRY" in confirmation.inner_text()
    assert testdata.CUSTOMER_IBAN_OK in confirmation.inner_text()
    shot(page, "payout-confirm")
    assert requests_to(sandbox, "enigmapay", "/send-money") == 0
    page.get_by_test_id("send").dblclick()  # a double click still sends once
    page.wait_for_url("**/dashboard/transactions/*/")
    payout = Transaction.objects.get(kind="payout")
    assert payout.status == Status.PENDING
    assert requests_to(sandbox, "enigmapay", "/send-money") == 1
    assert payout.reference in page.locator("main").inner_text()
    shot(page, "payout-detail")

    page.click("nav >> text=Transactions")
    row = page.locator("tr", has_text=payout.reference)
    assert "1250.50" in row.inner_text()
    row.locator("a").first.click()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "Payout recorded" in timeline and "manager" in timeline

    page.click("nav >> text=New payment link")
    page.fill("#id_username", "mdemir")
    page.fill("#id_first_name", "Mehmet")
    page.fill("#id_last_name", "Demir")
    page.fill("#id_email", "mehmet@example.test")
    page.fill("#id_phone", "905321234567")
    page.fill("#id_amount", "250.00")
    page.click("text=Create link")
    page.wait_for_url("**/dashboard/transactions/*/")
    link = Transaction.objects.get(kind="payment_link")
    assert page.input_value("#share-url") == link.payment_link.payment_url
    shot(page, "payment-link")
