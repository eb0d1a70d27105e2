"""In a real browser against the EoneoPay sandbox: a manager adds a customer with a
sandbox test card, charges the stored card and refunds it in full; an owner makes an
EoneoPay API key. Screenshots of every new page go to tests/artifacts/."""

import pytest

from payments.models import EoneoPayCustomer, Status, Transaction
from providers.eoneopay import testdata
from tests.browser.support import shots
from tests.browser.test_dashboard_shell import sign_in
from tests.helpers import requests_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DESKTOP = {"width": 1280, "height": 900}


shot = shots("eoneopay-")


def test_manager_adds_a_customer_charges_the_card_and_refunds(page, live_server, eoneopay, members, sandbox):
    page.set_viewport_size(DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, "manager")
    page.click("nav >> text=Customers")
    shot(page, "customers-empty")
    page.get_by_test_id("new-customer").click()
    page.fill("#id_name", "Olivia Jones")
    page.fill("#id_email", "olivia@example.test")
    page.fill("#id_address", "12 Harbour St\nSydney NSW 2000")
    page.fill("#id_card_number", "4000 0000 0000 0002")
    page.fill("#id_card_expiry", "13/29")  # a mistake first: the form comes back without the card
    page.fill("#id_card_cvv", "602")
    page.fill("#id_bank_name", "Olivia Jones")
    page.fill("#id_bank_branch", "012-003")
    page.fill("#id_bank_number", "12881899")
    page.get_by_test_id("create").click()
    assert "MM/YY" in page.get_by_test_id("error-card_expiry").inner_text()
    assert page.input_value("#id_card_number") == "" and page.input_value("#id_card_cvv") == ""
    assert page.input_value("#id_name") == "Olivia Jones"
    shot(page, "customer-form-error")
    page.fill("#id_card_number", testdata.CARD_APPROVED_VISA)
    page.fill("#id_card_expiry", "05/29")
    page.fill("#id_card_cvv", "602")
    page.fill("#id_bank_number", "12881899")
    page.get_by_test_id("create").click()
    page.wait_for_url("**/dashboard/eoneopay/customers/*/")
    customer = EoneoPayCustomer.objects.get(name="Olivia Jones")
    card = customer.cards.get()
    assert card.masked_pan in page.get_by_test_id("cards").inner_text()
    shot(page, "customer-detail")

    page.get_by_test_id(f"charge-{card.pk}").click()
    page.fill("#id_amount", "249.95")
    page.fill("#id_reference", "Order 4411")
    page.fill("#id_description", "Two lamps")
    shot(page, "charge-form")
    page.get_by_test_id("charge").dblclick()  # a double click still charges once
    page.wait_for_url("**/dashboard/payments/*/")
    payment = Transaction.objects.get(kind="payment")
    assert payment.status == Status.SUCCEEDED
    assert requests_to(sandbox, "eoneopay", "/payments") == 1
    assert "249.95 AUD" in page.get_by_test_id("amount").inner_text()
    assert "Order 4411" in page.get_by_test_id("provider-reference").inner_text()
    assert page.get_by_test_id("full-only").is_visible()
    shot(page, "payment-detail")

    page.get_by_test_id("refund").click()
    page.wait_for_selector("[data-testid=refunds]")
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED
    assert page.get_by_test_id("status").inner_text() == "Refunded"
    assert "249.95 AUD" in page.get_by_test_id("refunded").inner_text()
    assert "0.00 AUD" in page.get_by_test_id("remaining").inner_text()
    assert "Refunded in full" in page.get_by_test_id("timeline").inner_text()
    shot(page, "payment-refunded")

    page.click("nav >> text=Payments")
    assert payment.reference in page.get_by_test_id("payments").inner_text()
    shot(page, "payments-list")
    page.click("nav >> text=Customers")
    assert "Olivia Jones" in page.get_by_test_id("customers").inner_text()
    shot(page, "customers-list")


def test_owner_makes_and_revokes_an_eoneopay_api_key(page, live_server, eoneopay, members, sandbox):
    page.set_viewport_size(DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/dashboard/settings/connections/{eoneopay.pk}/")
    page.get_by_test_id("eoneopay-api-keys").click()
    page.get_by_test_id("create-key").click()
    secret = page.input_value("#new-key")
    assert secret.startswith("sk_test_")
    shot(page, "api-key-created")
    page.goto(f"{live_server.url}/dashboard/eoneopay/connections/{eoneopay.pk}/api-keys/")
    assert page.locator("#new-key").count() == 0 and secret not in page.content()  # shown once only
    page.locator("[data-testid^=revoke-]").first.click()
    assert "Revoked" in page.get_by_test_id("keys").inner_text()
    shot(page, "api-keys")
