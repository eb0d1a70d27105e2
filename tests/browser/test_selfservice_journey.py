"""A customer on a phone (390 x 844), in a real browser: EnayaPay register → verify →
card balance; Vospay activation → OTP → registration → profile → installments → one
contract with its schedule and chart. Screenshots of every page go to tests/artifacts/."""

import pytest

from accounts.models import Customer
from providers.enayapay import sandbox as enaya
from providers.vospay import sandbox as vos
from tests.browser.support import PHONE, no_horizontal_scroll, shots
from tests.selfservice.conftest import ENAYA_OTP, VOSPAY_OTP

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


shot = shots("selfservice-")


@pytest.fixture
def enayapay(sandbox, merchant):
    from tests.conftest import _sandbox_connection

    return _sandbox_connection(sandbox, merchant, "enayapay")


@pytest.fixture
def other_merchant(db):
    from tests.factories import MerchantFactory

    return MerchantFactory(name="Other Shop", slug="other")


def test_enayapay_register_verify_and_check_a_balance(page, live_server, enayapay, vospay, merchant):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/me/demo/")
    assert page.get_by_test_id("merchant-name").inner_text() == "Demo Bazaar"
    shot(page, "home")
    page.click("text=Create an account")

    page.fill("#id_name", "Sara Ali")
    page.fill("#id_phone", "0912 345")
    page.fill("#id_password", "Good-Pass-9")
    page.fill("#id_password_confirm", "Good-Pass-9")
    page.get_by_test_id("submit").click()
    assert "Enter a valid Sudanese mobile number" in page.get_by_test_id("error-phone").inner_text()
    assert page.input_value("#id_name") == "Sara Ali" and page.input_value("#id_password") == ""
    shot(page, "enayapay-register-error")

    page.fill("#id_phone", "0912 345 678")
    page.fill("#id_password", "Good-Pass-9")
    page.fill("#id_password_confirm", "Good-Pass-9")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/enayapay/verify/")
    assert page.get_by_test_id("phone").inner_text() == "+249912345678"
    page.fill("#id_code", "123456")
    page.get_by_test_id("submit").click()
    assert "4 tries left" in page.get_by_test_id("problem").inner_text()
    shot(page, "enayapay-verify-wrong-code")
    page.fill("#id_code", ENAYA_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/me/demo/enayapay/")
    assert "Hello, Sara Ali" in page.locator("main").inner_text()
    assert no_horizontal_scroll(page)
    shot(page, "enayapay-account")

    page.click("text=Check a card balance")
    page.fill("#id_pan", "9999 0100 0000 0011")
    page.fill("#id_expiry", "2812")
    page.fill("#id_ipin", "000000")
    page.get_by_test_id("submit").click()
    assert "The IPIN is not correct." in page.get_by_test_id("problem").inner_text()
    assert page.input_value("#id_pan") == "" and page.input_value("#id_ipin") == ""
    shot(page, "enayapay-balance-error")
    page.fill("#id_pan", "9999 0100 0000 0011")
    page.fill("#id_ipin", enaya.IPIN)
    page.get_by_test_id("submit").click()
    card = page.get_by_test_id("balance")
    assert "999901******0011" in card.inner_text() and "15,250.75" in card.inner_text()
    assert enaya.CARD_OK not in page.content() and enaya.IPIN not in page.content()
    assert no_horizontal_scroll(page)
    shot(page, "enayapay-balance")
    assert Customer.objects.get(merchant=merchant).phone == "+249912345678"


def test_vospay_activation_registration_profile_and_contracts(page, live_server, vospay):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/me/demo/vospay/activate/")
    shot(page, "vospay-activate")
    page.fill("#id_mfc_code", "234")
    page.fill("#id_nik", "6308044810820001")
    page.fill("#id_phone", "0811 8289 855")
    page.fill("#id_date_of_birth", "1988-10-02")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/vospay/verify/")
    shot(page, "vospay-verify")
    page.fill("#id_code", VOSPAY_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/vospay/register/")
    shot(page, "vospay-register")
    page.fill("#id_email", "dominggus@example.id")
    page.fill("#id_access_code", "Dom-Code-2024")
    page.fill("#id_access_code_confirm", "Dom-Code-2024")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/me/demo/vospay/")
    assert "Dominggus Sirius Octovianus" in page.get_by_test_id("full-name").inner_text()
    assert "1,000,000" in page.get_by_test_id("available").inner_text()
    assert no_horizontal_scroll(page)
    shot(page, "vospay-profile-new")

    page.click("text=Sign out")
    page.goto(f"{live_server.url}/me/demo/vospay/contracts/")
    assert "/me/demo/vospay/signin/?next=/me/demo/vospay/contracts/" in page.url
    page.click("text=Sign in with your access code")
    shot(page, "vospay-signin-code")
    page.fill("#id_login", "siti.rohanah@example.id")
    page.fill("#id_access_code", vos.ACCESS_CODE_SITI)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/me/demo/vospay/contracts/")
    assert "3 of 6 months left" in page.get_by_test_id("remaining").inner_text()
    shot(page, "vospay-contracts")
    page.get_by_test_id("contract").first.click()
    page.wait_for_url("**/vospay/contracts/*/")
    assert "64,374.99" in page.get_by_test_id("remaining-balance").inner_text()
    assert page.get_by_test_id("schedule-row").count() == 6
    assert page.locator("svg[data-testid=chart] rect").count() == 7
    assert no_horizontal_scroll(page)
    shot(page, "vospay-contract")
    page.click("nav >> text=Account")
    assert page.get_by_test_id("account").count() == 3
    shot(page, "vospay-profile")


def test_the_other_customer_pages_at_phone_width(page, live_server, enayapay, vospay, sandbox, other_merchant):
    """Login → code → change password; forgot → code → new password; Vospay sign-in,
    access code; a merchant that does not offer the accounts."""
    page.set_viewport_size(PHONE)
    base = f"{live_server.url}/me/demo"
    page.goto(f"{base}/enayapay/login/")
    page.fill("#id_phone", "0912000001")
    page.fill("#id_password", "wrong-password")
    page.get_by_test_id("submit").click()
    assert "not right" in page.get_by_test_id("problem").inner_text()
    shot(page, "enayapay-login-error")
    page.fill("#id_password", "Sandbox-Pass-1")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/enayapay/verify/")
    page.fill("#id_code", ENAYA_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/me/demo/enayapay/")
    page.click("text=Change my password")
    page.fill("#id_current_password", "Wrong-Current-1")
    page.fill("#id_new_password", "Next-Pass-44")
    page.fill("#id_new_password_confirm", "Next-Pass-44")
    page.get_by_test_id("submit").click()
    assert "current password is not right" in page.get_by_test_id("problem").inner_text()
    assert no_horizontal_scroll(page)
    shot(page, "enayapay-change-password-error")
    page.click("text=Sign out")

    page.goto(f"{base}/enayapay/forgot/")
    shot(page, "enayapay-forgot")
    page.fill("#id_phone", "0912000002")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/enayapay/verify/")
    page.fill("#id_code", ENAYA_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/enayapay/reset/")
    shot(page, "enayapay-reset")
    page.fill("#id_password", "Khalid-New-Pass-5")
    page.fill("#id_password_confirm", "Khalid-New-Pass-5")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/me/demo/enayapay/")
    assert "Hello, Khalid Ibrahim" in page.locator("main").inner_text()
    assert sandbox.sandbox("enayapay").users[enaya.PHONE_UNVERIFIED].password == "Khalid-New-Pass-5"

    page.goto(f"{base}/vospay/signin/")
    page.fill("#id_phone", "0811 9999 999")
    page.get_by_test_id("submit").click()
    assert "could not send a code" in page.get_by_test_id("problem").inner_text()
    shot(page, "vospay-signin-error")
    page.fill("#id_phone", vos.PHONE_SITI)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/vospay/verify/")
    page.fill("#id_code", VOSPAY_OTP)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/me/demo/vospay/")
    page.click("nav >> text=Access code")
    page.fill("#id_access_code", "abc")
    page.fill("#id_access_code_confirm", "abd")
    page.get_by_test_id("submit").click()
    shot(page, "vospay-access-code-error")

    page.goto(f"{live_server.url}/me/other/vospay/signin/")
    assert "Other Shop does not offer Vospay accounts." in page.get_by_test_id("problem").inner_text()
    shot(page, "not-offered")
