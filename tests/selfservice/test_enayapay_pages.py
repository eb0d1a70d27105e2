"""EnayaPay customer pages through Django's test client against the running sandbox:
register → OTP → verify, login (password, then OTP), forgotten password, change
password, sign out, and every documented answer with its own message."""

from __future__ import annotations

import pytest

from accounts.models import Customer, OtpChallenge
from providers.enayapay import sandbox as enaya
from tests.conftest import arm_fault
from tests.helpers import requests_to
from tests.selfservice.conftest import ENAYA_OTP, enaya_register, enaya_signed_in, html, me

pytestmark = pytest.mark.django_db


def test_register_verify_signs_in_with_the_merchants_name(client, enayapay, merchant, sandbox):
    page = client.get(me("enayapay/register/"))
    assert page.status_code == 200 and "Demo Bazaar" in html(page)
    response = enaya_register(client, phone="+249 91 234 5678")
    assert response["Location"] == me("enayapay/verify/")
    verify = client.get(me("enayapay/verify/"))
    assert "+249912345678" in html(verify)
    assert sandbox.sandbox("enayapay").otps_sent == ["249912345678"]
    assert sandbox.sandbox("enayapay").users["249912345678"].name == "Sara Ali"

    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP}, follow=True)
    text = html(response)
    assert "Hello, Sara Ali" in text and "Check a card balance" in text and "Demo Bazaar" in text
    customer = Customer.objects.get(merchant=merchant)
    assert (customer.phone, customer.name) == ("+249912345678", "Sara Ali")
    assert OtpChallenge.objects.get().passed_at is not None
    assert sandbox.sandbox("enayapay").users["249912345678"].active


def test_already_registered_offers_login(client, enayapay):
    response = enaya_register(client, phone="0912000001")
    text = html(response)
    assert response.status_code == 200
    assert "already has an EnayaPay account" in text
    assert 'data-testid="offer-login"' in text and "Forgot your password?" in text


@pytest.mark.parametrize(("phone", "status", "sentence"), [
    (enaya.PHONE_INVALID, 200, "EnayaPay says this number is not valid"),
    (enaya.PHONE_SMS_DOWN, 503, "could not send the SMS right now (its SMS gateway is down)"),
    (enaya.PHONE_UNAVAILABLE, 503, "EnayaPay&#x27;s service is not available right now"),
])
def test_register_refusals_each_have_their_message_and_keep_the_form(client, enayapay, sandbox, phone, status,
                                                                      sentence):
    response = enaya_register(client, phone="+" + phone, name="Musa Adam", password="Secret-Pass-77")
    text = html(response)
    assert response.status_code == status
    assert sentence in text
    assert 'value="Musa Adam"' in text and f'value="+{phone}"' in text  # what was typed is kept...
    assert "Secret-Pass-77" not in text  # ...except the password
    assert OtpChallenge.objects.count() == 0  # nothing was sent: the code is not counted
    assert phone not in sandbox.sandbox("enayapay").users


def test_register_field_errors_are_next_to_their_field(client, enayapay, sandbox):
    response = client.post(me("enayapay/register/"), {"name": "", "phone": "12345", "password": "short",
                                                      "password_confirm": "other"})
    text = html(response)
    assert response.status_code == 400
    assert 'data-testid="error-name"' in text
    assert "Enter a valid Sudanese mobile number" in text
    assert "Use at least 8 characters." in text
    assert requests_to(sandbox, "enayapay", "/register/") == 0
    response = client.post(me("enayapay/register/"), {"name": "A", "phone": "0912345678", "password": "Long-enough-1",
                                                      "password_confirm": "Long-enough-2"})
    assert "The two entries do not match." in html(response)
    assert 'value="0912345678"' in html(response)


def test_wrong_code_says_how_many_tries_are_left(client, enayapay):
    enaya_register(client)
    response = client.post(me("enayapay/verify/"), {"code": "111111"})
    text = html(response)
    assert "That code is not right." in text and "4 tries left." in text
    assert "111111" not in text  # the code is not echoed
    assert 'data-testid="resend"' in text


def test_verify_without_a_flow_starts_again(client, enayapay):
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP}, follow=True)
    assert "Start again" in html(response)
    assert response.redirect_chain[-1][0] == me("enayapay/login/")


def test_login_is_password_then_code(client, enayapay, sandbox, merchant):
    response = client.post(me("enayapay/login/"), {"phone": "091 200 0001", "password": "Sandbox-Pass-1"})
    assert response["Location"] == me("enayapay/verify/")
    assert sandbox.sandbox("enayapay").otps_sent == [enaya.PHONE_ACTIVE]
    assert sandbox.sandbox("enayapay").users[enaya.PHONE_ACTIVE].password == "Sandbox-Pass-1"  # untouched
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP}, follow=True)
    assert "Hello, Amna Osman" in html(response)


def test_login_refusals(client, enayapay):
    response = client.post(me("enayapay/login/"), {"phone": "0912000001", "password": "not-the-password"})
    assert "The mobile number or password is not right." in html(response)
    assert 'value="0912000001"' in html(response) and "not-the-password" not in html(response)
    response = client.post(me("enayapay/login/"), {"phone": "0912000099", "password": "whatever-1"})
    assert "This number has no EnayaPay account yet." in html(response)
    assert 'data-testid="offer-register"' in html(response)
    response = client.post(me("enayapay/login/"), {"phone": "+" + enaya.PHONE_UNAVAILABLE, "password": "whatever-1"})
    assert response.status_code == 503 and "not available right now" in html(response)


def test_forgot_password_verify_then_reset(client, enayapay, sandbox):
    response = client.post(me("enayapay/forgot/"), {"phone": "0912000001"})
    assert response["Location"] == me("enayapay/verify/")
    assert set(sandbox.sandbox("enayapay").users) == set(enaya.USERS)  # the code was asked for, no account made
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP})
    assert response["Location"] == me("enayapay/reset/")
    response = client.post(me("enayapay/reset/"), {"password": "Brand-New-Pass-3", "password_confirm": "Brand-New-Pass-3"},
                           follow=True)
    assert "Your password has been reset." in html(response) and "Hello, Amna Osman" in html(response)
    assert sandbox.sandbox("enayapay").users[enaya.PHONE_ACTIVE].password == "Brand-New-Pass-3"


def test_forgot_password_of_an_unknown_number_creates_nothing(client, enayapay, sandbox):
    response = client.post(me("enayapay/forgot/"), {"phone": "0912000099"})
    assert "This number has no EnayaPay account yet." in html(response)
    assert enaya.PHONE_REMOVED not in sandbox.sandbox("enayapay").users
    assert requests_to(sandbox, "enayapay", "/register/") == 0


def test_change_password_and_wrong_current_password(client, enayapay, sandbox):
    enaya_signed_in(client)
    response = client.post(me("enayapay/password/"), {"current_password": "Wrong-Pass-0", "new_password": "Next-Pass-44",
                                                      "new_password_confirm": "Next-Pass-44"})
    assert "Your current password is not right" in html(response)
    assert "Next-Pass-44" not in html(response)
    response = client.post(me("enayapay/password/"), {"current_password": "Good-Pass-9", "new_password": "Next-Pass-44",
                                                      "new_password_confirm": "Next-Pass-44"}, follow=True)
    assert "Your password has been changed." in html(response)
    assert sandbox.sandbox("enayapay").users["249912345678"].password == "Next-Pass-44"


def test_an_expired_provider_token_signs_the_customer_out(client, enayapay, sandbox):
    enaya_signed_in(client)
    sandbox.sandbox("enayapay").tokens.clear()  # EnayaPay forgot every token
    response = client.post(me("enayapay/password/"), {"current_password": "Good-Pass-9", "new_password": "Next-Pass-44",
                                                      "new_password_confirm": "Next-Pass-44"}, follow=True)
    assert "Your EnayaPay session has ended" in html(response)
    assert response.redirect_chain[-1][0] == me("enayapay/login/")
    assert client.get(me("enayapay/")).status_code == 302


def test_sign_out(client, enayapay):
    enaya_signed_in(client)
    response = client.post(me("signout/"), follow=True)
    assert "You are signed out." in html(response)
    response = client.get(me("enayapay/"))
    assert response.status_code == 302 and response["Location"].startswith(me("enayapay/login/"))


def test_a_timeout_on_register_is_a_clear_page_and_nobody_is_signed_in(client, enayapay, sandbox):
    arm_fault(sandbox, "enayapay", "register", "timeout", delay=2.5)  # the test read timeout is 2 s
    response = enaya_register(client)
    assert response.status_code == 503
    assert "EnayaPay did not answer" in html(response)
    assert 'value="Sara Ali"' in html(response) and "Good-Pass-9" not in html(response)
    assert client.get(me("enayapay/")).status_code == 302  # nobody signed in
    assert OtpChallenge.objects.count() == 1  # the SMS may have gone: the code stays counted


def test_a_malformed_answer_is_a_clear_page(client, enayapay, sandbox):
    enaya_register(client)
    arm_fault(sandbox, "enayapay", "verify", "malformed")
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP})
    assert response.status_code == 502
    assert "could not read" in html(response)
    assert client.get(me("enayapay/")).status_code == 302


def test_unknown_merchant_and_merchant_without_enayapay_are_404(client, enayapay, other_merchant):
    assert client.get(me("enayapay/register/", slug="nobody")).status_code == 404
    response = client.get(me("enayapay/register/", slug="other"))
    assert response.status_code == 404 and "Other Shop does not offer EnayaPay accounts." in html(response)
    assert client.get(me("enayapay/balance/", slug="other")).status_code == 404
    assert "Other Shop" in html(client.get(me("", slug="other")))


def test_password_tries_are_limited_per_phone(client, enayapay, sandbox, clock):
    for _ in range(10):
        client.post(me("enayapay/login/"), {"phone": "0912000001", "password": "not-the-password"})
    response = client.post(me("enayapay/login/"), {"phone": "0912000001", "password": "Sandbox-Pass-1"})
    assert response.status_code == 429 and "too many sign-in attempts" in html(response)
    assert requests_to(sandbox, "enayapay", "/login/") == 10  # the eleventh never reached EnayaPay
    clock.advance(3600)
    assert client.post(me("enayapay/login/"), {"phone": "0912000001", "password": "Sandbox-Pass-1"}).status_code == 302
