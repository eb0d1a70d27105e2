"""A real browser draws the home sections (charts from the vendored library), the
filtered list and a detail page at desktop width; screenshots go to tests/artifacts/."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.factories import (
    BalanceSnapshotFactory,
    ConnectionFactory,
    IbanAccountFactory,
    MembershipFactory,
    MerchantFactory,
    PayoutDetailFactory,
    TransactionEventFactory,
    TransactionFactory,
    UserFactory,
)
from tests.helpers import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def seed():
    merchant = MerchantFactory(name="Alpha Bazaar")
    MembershipFactory(user=UserFactory(username="olga"), merchant=merchant, role=Role.OWNER)
    enigmapay = ConnectionFactory(merchant=merchant, provider="enigmapay")
    vospay = ConnectionFactory(merchant=merchant, provider="vospay")
    now = timezone.now()
    iban = IbanAccountFactory(merchant=merchant, connection=enigmapay, iban="TR330006100519786457841326",
                              balance=Decimal("15420.75"), balance_at=now)
    for day in range(14):
        BalanceSnapshotFactory(iban=iban, balance=Decimal("12000.00") + day * 250, at=now - dt.timedelta(days=13 - day))
    for n in range(40):
        TransactionFactory(merchant=merchant, connection=vospay if n % 3 else enigmapay, kind="payment",
                           currency="IDR" if n % 3 else "TRY", amount=Decimal("150.00") + n * 10,
                           status="failed" if n % 7 == 0 else "succeeded", created_at=now - dt.timedelta(days=n % 20))
    payout = PayoutDetailFactory(transaction=TransactionFactory(
        merchant=merchant, connection=enigmapay, amount=Decimal("1250.50"), status="succeeded",
        raw_status="COMPLETED", external_id="EP-9001", created_at=now - dt.timedelta(hours=2)))
    TransactionEventFactory(transaction=payout.transaction, source="user", actor="olga", to_status="pending",
                            note="Sent from the dashboard", at=now - dt.timedelta(hours=2))
    TransactionEventFactory(transaction=payout.transaction, source="sync", from_status="pending",
                            to_status="succeeded", raw_status="COMPLETED", at=now - dt.timedelta(hours=1))
    return payout.transaction


def test_screenshots_of_home_list_and_detail(page, live_server):
    payout = seed()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "olga")

    page.goto(f"{live_server.url}/dashboard/")
    # Polled from here with evaluate(): the page's CSP forbids the eval wait_for_function uses.
    wait_for(lambda: page.evaluate(
        "() => document.querySelectorAll('canvas[data-chart]').length === 3 && !!window.Chart"
        " && [...document.querySelectorAll('canvas[data-chart]')].every(c => Chart.getChart(c))"), 15)
    shot(page, "home")
    assert page.get_by_test_id("balance").inner_text() == "15420.75 TRY"

    page.goto(f"{live_server.url}/dashboard/transactions/?kind=payment&status=succeeded&amount_min=200")
    shot(page, "transactions-list")
    assert page.locator("[data-testid=transactions] tbody tr").count() > 0
    assert page.locator("nav.sidenav [aria-current=page]").inner_text() == "Transactions"

    page.goto(f"{live_server.url}/dashboard/transactions/?amount_min=ten")
    assert "Enter a number." in page.get_by_test_id("error-amount_min").inner_text()

    page.goto(f"{live_server.url}/dashboard/transactions/{payout.pk}/")
    shot(page, "transaction-detail")
    assert page.get_by_test_id("amount").inner_text() == "1250.50 TRY"
