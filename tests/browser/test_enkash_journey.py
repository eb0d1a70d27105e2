"""An EnKash order in a real browser against the sandbox: a manager creates it, sees the
checkout link, UPI app links, the QR code and the pay-later modes; the customer pays it
on EnKash's (sandbox) checkout; the order shows paid; the manager refunds part of it and
sees refunded and remaining amounts. Screenshots go to tests/artifacts/."""

import pytest

from payments.models import Kind, Status, Transaction
from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.helpers import requests_to, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DESKTOP = {"width": 1280, "height": 900}


def test_create_an_enkash_order_pay_it_in_the_sandbox_and_refund_part(page, live_server, enkash, members, sandbox,
                                                                     settings):
    settings.PAYDESK_PUBLIC_URL = live_server.url  # EnKash's notifies reach this Paydesk
    sandbox.sandbox("enkash").configure({"completion_delay": 0.3})
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "manager")

    page.click("nav >> text=New order")
    page.fill("#id_amount", "12,50")  # a typo first: refused, nothing lost
    page.fill("#id_customer_first_name", "Asha")
    page.fill("#id_customer_last_name", "Rao")
    page.fill("#id_customer_email", "asha@example.com")
    page.fill("#id_customer_phone", "9876543210")
    page.fill("#id_description", "Two notebooks")
    page.fill("#id_return_url", f"{live_server.url}/dashboard/orders/")
    page.click("text=Create order")
    assert "Enter an amount such as 1250.00." in page.locator("main").inner_text()
    assert page.input_value("#id_customer_email") == "asha@example.com"
    shot(page, "enkash-order-form-error")
    page.fill("#id_amount", "1250.50")
    page.click("text=Create order")
    page.wait_for_url("**/dashboard/enkash/orders/*/")
    order = Transaction.objects.get(kind=Kind.ORDER)
    main = page.locator("main")
    assert order.reference in main.inner_text() and "1250.50 INR" in main.inner_text()
    assert page.get_by_test_id("upi-links").locator("a").count() == 4
    assert "LazyPay (sandbox)" in page.get_by_test_id("bnpl-modes").inner_text()
    qr = page.get_by_test_id("qr").locator("img")
    wait_for(lambda: qr.evaluate("img => img.complete && img.naturalWidth > 0"), 10)
    shot(page, "enkash-order-detail")

    # The customer pays on EnKash's checkout page (the sandbox's stands in for it).
    checkout = page.get_by_test_id("checkout-url").input_value()
    page.goto(checkout)
    page.click("text=Pay (succeeds)")
    page.wait_for_url("**/dashboard/orders/**")
    shot(page, "enkash-orders-list")
    page.locator("tr", has_text=order.reference).locator("a").first.click()
    page.wait_for_url("**/dashboard/enkash/orders/*/")
    assert page.get_by_test_id("status").inner_text() == "Succeeded"
    payment = Transaction.objects.get(kind=Kind.PAYMENT, parent=order)
    assert payment.status == Status.SUCCEEDED
    assert "Succeeded" in page.get_by_test_id(f"payment-{payment.reference}").inner_text()
    shot(page, "enkash-order-paid")

    # Refund part of it; more than is left is refused with the amount left.
    refund_form = page.get_by_test_id("refund-form")
    refund_form.locator("input[name=amount]").fill("2000.00")
    refund_form.locator("button").click()
    assert "At most 1250.50 INR is left" in page.get_by_test_id("refund-error").inner_text()
    page.get_by_test_id("refund-form").locator("input[name=amount]").fill("400.00")
    page.get_by_test_id("refund-form").locator("input[name=remarks]").fill("One notebook returned")
    page.get_by_test_id("refund-submit").dblclick()  # a double click still refunds once
    # Which answer the browser shows last depends on the race (the redirect to #payments, or
    # the page saying the form was already sent); what was stored and sent does not.
    refund_path = f"/api/v0/payment/{payment.external_id}/refund"
    wait_for(lambda: requests_to(sandbox, "enkash", refund_path) >= 1, 10)  # saved first, then sent
    page.wait_for_load_state()
    assert Transaction.objects.filter(kind=Kind.REFUND, parent=payment).count() == 1
    assert requests_to(sandbox, "enkash", refund_path) == 1
    wait_for(lambda: sandbox.sandbox("enkash").refunds and all(
        r["status"] == "SUCCESS" for r in sandbox.sandbox("enkash").refunds.values()), 10)
    page.get_by_test_id("check-status").click()
    page.wait_for_load_state()
    totals = page.get_by_test_id("refund-totals").inner_text()
    assert "400.00 INR" in page.get_by_test_id("refunded").inner_text()
    assert "850.50 INR" in page.get_by_test_id("remaining").inner_text(), totals
    assert "Succeeded" in page.get_by_test_id("refunds").inner_text()
    assert "One notebook returned" in page.get_by_test_id("refunds").inner_text()
    shot(page, "enkash-order-refunded")

    # EnKash settles the day: "Search EnKash now" finds the payout, and its lines lead back to
    # this order's payment (the sale) and its refund.
    from tests.enkash_settlements.support import run_settlement

    payout = run_settlement(sandbox)
    page.click("nav >> text=Settlements")
    page.get_by_test_id("search-enkash").click()
    page.wait_for_selector("[data-testid=settlements]")
    page.get_by_test_id(f"settlement-{payout['id']}").locator("a").click()
    page.wait_for_url("**/dashboard/enkash/settlements/*/")
    refund = Transaction.objects.get(kind=Kind.REFUND, parent=payment)
    summary = page.get_by_test_id("match-summary").inner_text()
    shot(page, "enkash-journey-settlement")
    links = [a.get_attribute("href") for a in page.locator("[data-testid=matched]").all()]
    assert f"/dashboard/transactions/{payment.pk}/" in links, summary
    assert f"/dashboard/transactions/{refund.pk}/" in links, summary
    assert "2 of 2 matched" in summary
