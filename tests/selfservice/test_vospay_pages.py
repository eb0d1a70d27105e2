"""Vospay customer pages against the running sandbox: activation (→ registration when
the customer has no access code), sign-in by OTP or access code, profile with credit,
change access code, contracts with their schedule and chart, and the refusals."""

from __future__ import annotations

import pytest

from accounts.models import Customer
from accounts.selfservice.contracts import add_months
from providers import crypto
from providers.vospay import sandbox as vos
from tests.conftest import arm_fault
from tests.helpers import requests_to
from tests.selfservice.conftest import VOSPAY_OTP, html, me, vospay_signed_in

pytestmark = pytest.mark.django_db

DOMINGGUS = {"mfc_code": "234", "nik": "6308044810820001", "phone": "0811-8289-855", "date_of_birth": "1988-10-02"}


def test_activation_then_registration_then_profile(client, vospay, merchant, sandbox):
    response = client.post(me("vospay/activate/"), DOMINGGUS)
    assert response["Location"] == me("vospay/verify/")
    assert "+628118289855" in html(client.get(me("vospay/verify/")))
    response = client.post(me("vospay/verify/"), {"code": VOSPAY_OTP})
    assert response["Location"] == me("vospay/register/")
    account = next(a for a in sandbox.sandbox("vospay").vospay_accounts.values() if a.phone == vos.PHONE_NEW)
    assert account.credit_limit == 1000000

    response = client.post(me("vospay/register/"), {"email": "dominggus@example.id", "access_code": "Dom-Code-2024",
                                                    "access_code_confirm": "Dom-Code-2024"}, follow=True)
    text = html(response)
    assert "Your Vospay account is activated and registered." in text
    assert "Dominggus Sirius Octovianus" in text and "1,000,000" in text and "MPM" in text
    assert "02155512345" in text and "cs-mpm@gmail.com" in text  # the multifinance contact
    person = next(p for p in sandbox.sandbox("vospay").persons.values() if p.nik == DOMINGGUS["nik"])
    assert (person.email, person.password) == ("dominggus@example.id", "Dom-Code-2024")
    assert Customer.objects.get(merchant=merchant).phone == "+628118289855"
    # the NIK waited for the OTP encrypted, and is gone from the session now
    assert DOMINGGUS["nik"] not in repr(client.session.items())


def test_activation_of_a_registered_customer_skips_registration(client, vospay):
    data = {"mfc_code": "236", "nik": "6301044309680001", "phone": vos.PHONE_SITI_OFFER, "date_of_birth": "03/09/1968"}
    client.post(me("vospay/activate/"), data)
    response = client.post(me("vospay/verify/"), {"code": VOSPAY_OTP}, follow=True)
    text = html(response)
    assert "Your Vospay account is activated." in text and "Siti Rohanah" in text and "Bank Mega" in text


def test_activation_details_that_match_no_offer(client, vospay):
    client.post(me("vospay/activate/"), {**DOMINGGUS, "date_of_birth": "1988-10-03"})
    response = client.post(me("vospay/verify/"), {"code": VOSPAY_OTP})
    text = html(response)
    assert "These details do not match an account offered by the multifinance company." in text
    assert 'value="6308044810820001"' in text and 'value="234"' in text  # to correct, not retype


def test_activation_field_checks(client, vospay, sandbox):
    response = client.post(me("vospay/activate/"), {"mfc_code": "2x", "nik": "12345", "phone": "12",
                                                    "date_of_birth": "2030-01-01"})
    text = html(response)
    assert response.status_code == 400
    assert "The MFC code has 3 digits." in text and "The NIK has 16 digits." in text
    assert "Enter a valid Indonesian mobile number" in text and "Enter your real date of birth." in text
    assert 'value="12345"' in text  # kept
    young = _jakarta_today().replace(year=_jakarta_today().year - 10).isoformat()
    assert "at least 17" in html(client.post(me("vospay/activate/"), {**DOMINGGUS, "date_of_birth": young}))
    assert requests_to(sandbox, "vospay", "/otp/0811") == 0 and not sandbox.sandbox("vospay").received


def test_otp_refused_for_an_unknown_phone(client, vospay):
    response = client.post(me("vospay/activate/"), {**DOMINGGUS, "phone": vos.PHONE_UNKNOWN})
    assert "Vospay could not send a code to this number" in html(response)


def test_wrong_code_then_right_code(client, vospay):
    client.post(me("vospay/signin/"), {"phone": vos.PHONE_SITI})
    response = client.post(me("vospay/verify/"), {"code": "000000"})
    assert "That code is not right. 4 tries left." in html(response)
    response = client.post(me("vospay/verify/"), {"code": VOSPAY_OTP}, follow=True)
    assert "Welcome, Siti Rohanah." in html(response)


def test_sign_in_with_access_code_by_email_or_phone(client, vospay):
    response = client.post(me("vospay/signin/access-code/"), {"login": "siti.rohanah@example.id",
                                                              "access_code": vos.ACCESS_CODE_SITI}, follow=True)
    assert "Siti Rohanah" in html(response) and "49,875,000" in html(response)
    client.post(me("signout/"))
    response = client.post(me("vospay/signin/access-code/"), {"login": "0811 0000 003",
                                                              "access_code": vos.ACCESS_CODE_BUDI}, follow=True)
    text = html(response)
    assert "Budi Santoso" in text and "Locked" in text and "purchases are refused" in text
    response = client.post(me("vospay/signin/access-code/"), {"login": "siti.rohanah@example.id",
                                                              "access_code": "wrong-code"})
    assert "do not match" in html(response)
    assert "wrong-code" not in html(response) and 'value="siti.rohanah@example.id"' in html(response)


def test_profile_shows_accounts_credit_and_expiry(client, vospay):
    response = vospay_signed_in(client)
    assert response["Location"] == me("vospay/")
    text = html(client.get(me("vospay/")))
    assert text.count('data-testid="account"') == 3
    assert "50,000,000 IDR" in text and "49,875,000" in text and "Maybank" in text
    assert "…0001" in text and "2340010000000001" not in text  # the account number is shown as its end
    assert "Valid until" in text


def test_change_access_code(client, vospay, sandbox):
    vospay_signed_in(client)
    response = client.post(me("vospay/access-code/"), {"access_code": "New-Code-77", "access_code_confirm": "New-Code-77"},
                           follow=True)
    assert "Your access code has been changed." in html(response)
    siti = next(p for p in sandbox.sandbox("vospay").persons.values() if p.email == "siti.rohanah@example.id")
    assert siti.password == "New-Code-77"
    response = client.post(me("vospay/access-code/"), {"access_code": "abc", "access_code_confirm": "abc"})
    assert "Use at least 6 characters." in html(response)


def _jakarta_today():
    """The sandbox dates contracts in Vospay's own time zone (WIB, UTC+7): after 17:00 UTC
    its today is tomorrow here."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


def test_contracts_list_and_detail_with_schedule_and_chart(client, vospay):
    vospay_signed_in(client)
    text = html(client.get(me("vospay/contracts/")))
    assert "Sociolla" in text and "125,000 IDR" in text and "21,458.33 IDR" in text
    assert "3 of 6 months left" in text and "Approved" in text
    next_due = add_months(add_months(_jakarta_today(), -3), 4)
    assert f"{next_due:%-d %b %Y}" in text

    number = "234" + add_months(_jakarta_today(), -3).strftime("%Y%m%d") + "0000000001"
    detail = client.get(me(f"vospay/contracts/{number}/"))
    text = html(detail)
    assert "Charger Samsung A5" in text and "Cover HeadPhone" in text and "Shipping" in text
    assert "64,374.99" in text  # still to pay: 3 x 21,458.33
    assert text.count('data-testid="schedule-row"') == 6
    assert text.count(">Paid<") == 3 and text.count(">Next<") == 1
    assert "<svg" in text and text.count("<rect class=\"ss-bar-") == 7
    assert "Interest 3% flat" in text
    assert client.get(me("vospay/contracts/999/")).status_code == 404


def test_upstream_trouble_is_a_clear_page_and_a_rejected_session_comes_back_after_sign_in(
        client, vospay, sandbox, merchant, clock):
    vospay_signed_in(client)
    arm_fault(sandbox, "vospay", "contracts", "503", count=5)  # reads are retried: fail them all
    response = client.get(me("vospay/contracts/"))
    assert response.status_code == 503 and "you can try again" in html(response)

    session = client.session  # Vospay no longer takes the customer's token
    session["selfservice"][str(merchant.pk)]["vospay"]["token"] = crypto.encrypt_json({"token": "a.b.c"})
    session.save()
    response = client.get(me("vospay/contracts/"), follow=True)
    assert "Your Vospay session has ended" in html(response)
    assert response.redirect_chain[-1][0] == me("vospay/signin/") + "?next=/me/demo/vospay/contracts/"
    clock.advance(61)  # a new code for the same phone: after a minute
    response = vospay_signed_in(client, next_path="/me/demo/vospay/contracts/")
    assert response["Location"] == "/me/demo/vospay/contracts/"
    assert "Sociolla" in html(client.get(response["Location"]))


def test_customer_required_redirects_to_sign_in_and_back(client, vospay):
    response = client.get(me("vospay/contracts/"))
    assert response["Location"] == me("vospay/signin/") + "?next=/me/demo/vospay/contracts/"
    page = client.get(response["Location"])
    assert 'name="next" value="/me/demo/vospay/contracts/"' in html(page)
    response = vospay_signed_in(client, next_path="/me/demo/vospay/contracts/")
    assert response["Location"] == "/me/demo/vospay/contracts/"


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/me/demo/", "/dashboard/",
                                  "/me/other/vospay/", "/me/demo/../../admin/"])
def test_next_must_stay_under_the_merchants_pages(client, vospay, evil):
    response = vospay_signed_in(client, next_path=evil)
    assert response["Location"] == me("vospay/")


def test_activation_upstream_down_keeps_the_spent_code_and_retries_without_a_new_one(client, vospay, sandbox):
    client.post(me("vospay/activate/"), DOMINGGUS)
    arm_fault(sandbox, "vospay", "activate_account", "503")
    response = client.post(me("vospay/verify/"), {"code": VOSPAY_OTP})
    assert response.status_code == 200  # a 5xx answer would not save the session that keeps the token
    assert "Your activation is not finished yet" in html(response) and "without a new code" in html(response)
    assert DOMINGGUS["nik"] not in html(response)
    response = client.post(me("vospay/activate/retry/"))
    assert response["Location"] == me("vospay/register/")
    assert requests_to(sandbox, "vospay", "/otp/08118289855") == 1


def test_access_code_sign_ins_are_limited(client, vospay, clock):
    for _ in range(10):
        response = client.post(me("vospay/signin/access-code/"), {"login": "siti.rohanah@example.id",
                                                                  "access_code": "wrong-code"})
        assert "do not match" in html(response)
    response = client.post(me("vospay/signin/access-code/"), {"login": "siti.rohanah@example.id",
                                                              "access_code": vos.ACCESS_CODE_SITI})
    assert response.status_code == 429 and "too many sign-in attempts" in html(response)
    clock.advance(3600)
    response = client.post(me("vospay/signin/access-code/"), {"login": "siti.rohanah@example.id",
                                                              "access_code": vos.ACCESS_CODE_SITI})
    assert response.status_code == 302


def test_a_timeout_on_the_code_and_a_malformed_profile_are_clear_pages(client, vospay, sandbox, clock):
    from accounts.models import OtpChallenge

    arm_fault(sandbox, "vospay", "send_otp", "timeout", delay=2.5)  # the test read timeout is 2 s
    response = client.post(me("vospay/signin/"), {"phone": vos.PHONE_SITI})
    assert response.status_code == 503 and "you can try again" in html(response)
    assert 'value="08110000002"' in html(response)
    assert OtpChallenge.objects.count() == 1  # the SMS may have gone out: counted
    clock.advance(61)
    vospay_signed_in(client)
    arm_fault(sandbox, "vospay", "profile", "malformed", count=3)
    response = client.get(me("vospay/"))
    assert response.status_code == 502 and "could not read" in html(response)
    assert "Sign out" in html(response)  # still signed in: the next visit reads it again
    assert "Siti Rohanah" in html(client.get(me("vospay/")))
