"""The installment checkout on a phone (390 x 844), in a real browser against the Vospay
sandbox: Vospay activation → the merchant's order link → account → plans → transaction
OTP (a wrong code first) → verified contract; the contract in the customer's Vospay
contracts and on the merchant's desk order page. Screenshots of every page go to
tests/artifacts/checkout-*.png."""

import pytest
from django.urls import reverse

from payments.models import Status
from tests.browser.support import PHONE, no_horizontal_scroll, shots
from tests.browser.test_dashboard_shell import sign_in
from tests.selfservice.conftest import VOSPAY_OTP
from tests.vospay.support import make_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


shot = shots("checkout-")


def test_activation_then_checkout_in_installments_then_the_contract_everywhere(
        page, browser, live_server, vospay, members, sandbox, settings):
    settings.PAYDESK_PUBLIC_URL = live_server.url
    page.set_viewport_size(PHONE)
    # Dominggus activates the account his multifinance company offered (1,000,000 IDR)
    page.goto(f"{live_server.url}/me/demo/vospay/activate/")
    page.fill("#id_mfc_code", "234")
    page.fill("#id_nik", "6308044810820001")
    page.fill("#id_phone", "0811 8289 855")
    page.fill("#id_date_of_birth", "1988-10-02")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/vospay/verify/")
    page.fill("#id_code", VOSPAY_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/vospay/register/")
    page.fill("#id_email", "dominggus@example.id")
    page.fill("#id_access_code", "Dom-Code-2024")
    page.fill("#id_access_code_confirm", "Dom-Code-2024")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/me/demo/vospay/")
    shot(page, "activated")

    # the merchant's order, and its link
    order = make_order(vospay, customer_name="Dominggus", customer_phone="08118289855")
    detail = order.vospay_order
    page.goto(f"{live_server.url}/me/demo/checkout/{detail.checkout_token}/")
    assert page.get_by_test_id("checkout-gross").inner_text() == "30,100 IDR"
    assert page.get_by_test_id("merchant-name").inner_text() == "Demo Bazaar"
    assert no_horizontal_scroll(page)
    shot(page, "order")
    page.get_by_test_id("start-checkout").click()
    page.wait_for_url("**/account/")
    shot(page, "account")
    page.get_by_test_id("submit").click()  # one account: chosen already
    page.wait_for_url("**/plan/")
    assert "1,000,000 IDR" in page.get_by_test_id("available-credit").inner_text()
    assert page.get_by_test_id("monthly-9").count() == 0
    assert page.get_by_test_id("monthly-3").inner_text() == "3,494.94 IDR / month"
    page.get_by_test_id("submit").click()  # no plan chosen
    assert "Choose how many months" in page.get_by_test_id("error-plan").inner_text()
    assert no_horizontal_scroll(page)
    shot(page, "plan-error")
    page.get_by_test_id("plan-3").click()
    shot(page, "plan")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/confirm/")
    assert "9 months × 3,494.94 IDR" in page.get_by_test_id("confirm-plan").inner_text()
    page.fill("#id_code", "000000")
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    assert "That code is not right. 4 tries left." in page.get_by_test_id("problem").inner_text()
    assert page.input_value("#id_code") == ""  # a code is never echoed
    shot(page, "confirm-error")
    page.fill("#id_code", VOSPAY_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/checkout/*/?paid=1")
    assert "Thank you" in page.get_by_test_id("paid").inner_text()
    assert page.get_by_test_id("contract-terms").inner_text() == "9 months at 3,494.94 IDR a month"
    assert no_horizontal_scroll(page)
    shot(page, "paid")

    order.refresh_from_db()
    detail.refresh_from_db()
    assert order.status == Status.PENDING and detail.verified_at is not None and detail.period == 9

    # the customer's own contracts (from Vospay)
    page.get_by_test_id("my-contracts").click()
    page.wait_for_url("**/vospay/contracts/")
    assert page.get_by_test_id("contract").count() == 1
    assert "3,494.94" in page.get_by_test_id("contract").first.inner_text()
    shot(page, "customer-contracts")

    # the merchant's desk shows the same contract
    desk = browser.new_context().new_page()
    desk.set_viewport_size({"width": 1280, "height": 900})
    sign_in(desk, live_server, "manager")
    desk.wait_for_load_state()
    desk.goto(live_server.url + reverse("payments:vospay-order-detail", kwargs={"pk": order.pk}))
    assert desk.get_by_test_id("period").inner_text() == "9 months"
    assert desk.get_by_test_id("monthly-payment").inner_text() == "3,494.94 IDR"
    assert "verified by Vospay" in desk.get_by_test_id("contract").inner_text()
    assert "finalize sent to Vospay" in desk.get_by_test_id("timeline").inner_text()
    shot(desk, "desk-order")
    desk.context.close()


def test_the_checkout_refusals_at_phone_width(page, live_server, vospay, sandbox, settings):
    """A locked account, a cancelled order, an expired link and a lost finalize answer,
    each with its own page (screenshots)."""
    from datetime import timedelta

    from payments.models import Transaction
    from payments.services.common import Actor
    from payments.services.vospay import CHECKOUT_LINK_DAYS, vospay_order_cancel
    from providers.vospay import sandbox as vos
    from tests.conftest import arm_fault

    settings.PAYDESK_PUBLIC_URL = live_server.url
    page.set_viewport_size(PHONE)
    base = f"{live_server.url}/me/demo/checkout"

    # Budi's account is locked: signed out, he signs in from the checkout and comes back
    order = make_order(vospay, customer_name="Budi", customer_phone=vos.PHONE_LOCKED)
    page.goto(f"{base}/{order.vospay_order.checkout_token}/")
    page.get_by_test_id("start-checkout").click()
    page.wait_for_url(lambda url: "/vospay/signin/?next=/me/demo/checkout/" in url)
    page.fill("#id_phone", vos.PHONE_LOCKED)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/vospay/verify/")
    page.fill("#id_code", VOSPAY_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/account/")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/plan/")
    page.get_by_test_id("plan-1").click()
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/confirm/")
    page.fill("#id_code", VOSPAY_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    assert "Your Vospay account is locked" in page.get_by_test_id("locked").inner_text()
    assert no_horizontal_scroll(page)
    shot(page, "locked")

    # a cancelled order, and an expired link
    cancelled = make_order(vospay)
    vospay_order_cancel(order=cancelled, actor=Actor.system())
    page.goto(f"{base}/{cancelled.vospay_order.checkout_token}/")
    assert "cancelled this order" in page.get_by_test_id("checkout-state").inner_text()
    shot(page, "cancelled")
    expired = make_order(vospay)
    Transaction.objects.filter(pk=expired.pk).update(
        created_at=expired.created_at - timedelta(days=CHECKOUT_LINK_DAYS + 1))
    page.goto(f"{base}/{expired.vospay_order.checkout_token}/account/")
    assert "expired" in page.get_by_test_id("refusal").inner_text()
    shot(page, "expired")

    # the finalize's answer is lost: never sent again, the page says Paydesk is checking
    from accounts.models import OtpThrottle

    OtpThrottle.objects.all().delete()  # a minute later: a new transaction code may be sent
    lost = make_order(vospay)
    page.goto(f"{base}/{lost.vospay_order.checkout_token}/account/")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/plan/")
    page.get_by_test_id("plan-2").click()
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/confirm/")
    arm_fault(sandbox, "vospay", "finalize_transaction", "timeout", delay=4.0)
    page.fill("#id_code", VOSPAY_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url(f"**/checkout/{lost.vospay_order.checkout_token}/")
    state = page.get_by_test_id("checkout-state").inner_text()
    assert "We are checking your payment with Vospay" in state
    shot(page, "lost-answer")
    page.goto(f"{base}/{lost.vospay_order.checkout_token}/confirm/")
    assert "cannot be paid twice" in page.get_by_test_id("refusal").inner_text()
    shot(page, "second-try-refused")
