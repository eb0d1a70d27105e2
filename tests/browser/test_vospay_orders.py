"""A manager's installment order, in a real browser against the Vospay sandbox: two item
rows (one added with the button), the gross computed as typed, an error that keeps what
was typed, the order page with its checkout link, the customer's checkout page; then the
customer finalizes (with the client, as issue 10's checkout will) and the verified
contract shows on the order page and in the contracts list. Screenshots in
tests/artifacts/ at desktop width."""

import pytest
from playwright.sync_api import expect

from payments.callbacks.services import callback_apply
from payments.models import Transaction
from payments.services.common import Actor
from payments.services.vospay import vospay_order_finalized
from providers.callbacks import webhook_event_receive
from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.vospay.support import customer_finalizes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DESKTOP = {"width": 1280, "height": 900}


def test_manager_creates_an_installment_order_and_sees_its_contract(page, live_server, vospay, members, sandbox,
                                                                   settings, callback_receiver):
    settings.PAYDESK_PUBLIC_URL = live_server.url  # the link the customer opens
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "manager")
    page.click("nav >> text=New installment order")
    rows = page.get_by_test_id("item-row")
    rows.nth(0).locator("[name=item_name]").fill("Headphones")
    rows.nth(0).locator("[name=item_quantity]").fill("2")
    rows.nth(0).locator("[name=item_unit_price]").fill("10000")
    page.get_by_test_id("add-item").click()
    page.get_by_test_id("add-item").click()
    assert page.locator("#item-rows .item-row").count() == 3
    page.locator("#item-rows .item-row").nth(2).locator(".remove-item").click()  # one too many
    assert page.locator("#item-rows .item-row").count() == 2
    second = page.locator("#item-rows .item-row").nth(1)
    second.locator("[name=item_name]").fill("Phone case")
    second.locator("[name=item_unit_price]").fill("5000.50")  # not whole rupiah
    page.fill("#id_shipping_cost", "5000")
    page.fill("#id_processing_fee", "100")
    page.fill("#id_customer_name", "Siti Rohanah")
    page.fill("#id_customer_phone", "08110000002")
    assert page.get_by_test_id("gross").inner_text() == "check the amounts"
    page.get_by_test_id("create-order").click()
    page.wait_for_load_state()
    assert "Enter whole rupiah" in page.get_by_test_id("error-item-unit_price").inner_text()
    assert page.locator("#item-rows .item-row").nth(0).locator("[name=item_name]").input_value() == "Headphones"
    assert page.input_value("#id_customer_name") == "Siti Rohanah"
    assert not Transaction.objects.exists()
    shot(page, "vospay-order-form-error")

    page.locator("#item-rows .item-row").nth(1).locator("[name=item_unit_price]").fill("5000")
    assert page.get_by_test_id("gross").inner_text() == "30,100"
    assert page.locator("#item-rows .line-total").nth(0).inner_text() == "20,000"
    shot(page, "vospay-order-form")
    page.get_by_test_id("create-order").click()
    page.wait_for_url("**/dashboard/vospay/orders/*/")
    order = Transaction.objects.get(kind="order")
    assert order.amount == 30100
    assert page.get_by_test_id("gross").inner_text() == "30,100 IDR"
    link = page.input_value("[data-testid=checkout-url]")
    assert link.endswith(f"/checkout/{order.vospay_order.checkout_token}/")
    assert "No contract yet" in page.get_by_test_id("no-contract").inner_text()
    shot(page, "vospay-order-detail")

    checkout = page.context.new_page()
    checkout.set_viewport_size(DESKTOP)
    checkout.goto(link)
    assert "Pay in installments" in checkout.get_by_test_id("checkout-state").inner_text()
    assert checkout.get_by_test_id("checkout-gross").inner_text() == "30,100 IDR"
    shot(checkout, "vospay-checkout-link")
    checkout.close()

    sandbox.sandbox("vospay").configure({"completion_delay": 0.5})
    done = customer_finalizes(sandbox, order, plan_id="3", notify_url=callback_receiver.url)
    vospay_order_finalized(order=order, transaction_id=done.authorized.transaction_id, plan=done.plan,
                           actor=Actor.system())
    page.reload()
    assert page.get_by_test_id("contract-status").inner_text() == "Pending"
    assert page.get_by_test_id("period").inner_text() == "9 months"
    assert page.get_by_test_id("monthly-payment").inner_text() == "3,494.94 IDR"
    assert "verified by Vospay" in page.get_by_test_id("contract").inner_text()
    assert "The customer finalized" in page.get_by_test_id("timeline").inner_text()
    shot(page, "vospay-order-contract")

    # Vospay's notify (the multifinance approved), stored and confirmed by verify: the
    # open page shows Approved without a reload.
    callback_receiver.wait(1, timeout=5)
    receipt = webhook_event_receive(connection=vospay, headers={"Content-Type": "application/json"},
                                    body=callback_receiver.bodies[0], remote_addr="127.0.0.1")
    assert callback_apply(event_id=receipt.event_id).trusted
    # expect(), not wait_for_function: the page's CSP forbids the eval that one polls with.
    expect(page.get_by_test_id("contract-status")).to_have_text("Approved", timeout=15_000)
    assert page.get_by_test_id("status").inner_text() == "Succeeded"
    shot(page, "vospay-order-approved")

    page.click("nav >> text=Contracts")
    row = page.get_by_test_id(f"contract-{order.reference}")
    assert "9 mo" in row.inner_text() and "3,494.94" in row.inner_text()
    shot(page, "vospay-contracts")
