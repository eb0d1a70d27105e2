"""Staff see the OTP guard's records in admin (read only); EnayaPay sign-in also comes
back to ``?next=`` after its code."""

from __future__ import annotations

import pytest

from tests.selfservice.conftest import ENAYA_OTP, enaya_register, html, me

pytestmark = pytest.mark.django_db


def test_admin_lists_otp_challenges_read_only(client, enayapay, admin_user):
    enaya_register(client)
    staff = client.__class__()
    staff.force_login(admin_user)
    page = staff.get("/admin/accounts/otpchallenge/")
    assert page.status_code == 200 and "+249912345678" in html(page) and "enayapay_register" in html(page)
    assert staff.get("/admin/accounts/otpchallenge/add/").status_code == 403
    assert staff.get("/admin/accounts/otpthrottle/").status_code == 200


def test_enayapay_login_returns_to_next_after_the_code(client, enayapay):
    response = client.get(me("enayapay/balance/"))
    login_url = response["Location"]
    assert 'name="next" value="/me/demo/enayapay/balance/"' in html(client.get(login_url))
    client.post(me("enayapay/login/"), {"phone": "0912000001", "password": "Sandbox-Pass-1",
                                        "next": "/me/demo/enayapay/balance/"})
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP})
    assert response["Location"] == "/me/demo/enayapay/balance/"
