"""Safety of the customer pages: a customer session grants nothing on /dashboard/ or
/admin/, a customer of merchant A is nobody at merchant B, the session key is rotated at
sign-in, CSRF is enforced on every form, and the provider's token is never in a page,
a URL or the session in clear."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from providers.enayapay import sandbox as enaya
from tests.conftest import _sandbox_connection
from tests.selfservice.conftest import ENAYA_OTP, enaya_register, enaya_signed_in, html, me, vospay_signed_in

pytestmark = pytest.mark.django_db


def test_a_customer_session_opens_no_dashboard_and_no_admin(client, enayapay):
    enaya_signed_in(client)
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 302 and "/login/" in dashboard["Location"]
    admin = client.get("/admin/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]
    assert client.get("/api/v1/connections/").status_code in (401, 403)


def test_a_customer_of_merchant_a_is_nobody_at_merchant_b(client, enayapay, sandbox, other_merchant):
    _sandbox_connection(sandbox, other_merchant, "enayapay")
    enaya_signed_in(client)
    assert client.get(me("enayapay/")).status_code == 200
    response = client.get(me("enayapay/", slug="other"))
    assert response.status_code == 302 and response["Location"].startswith("/me/other/enayapay/login/")
    assert "Sara Ali" not in html(client.get(me("", slug="other")))
    assert client.post(me("enayapay/balance/", slug="other"), {"pan": enaya.CARD_OK, "expiry": "2812",
                                                               "ipin": enaya.IPIN}).status_code == 302
    # a flow started at A cannot be finished at B
    client.post(me("signout/"))
    enaya_register(client, phone="0912345670")
    response = client.post(me("enayapay/verify/", slug="other"), {"code": ENAYA_OTP})
    assert response.status_code == 302 and response["Location"] == me("enayapay/login/", slug="other")


def test_the_session_key_is_rotated_at_sign_in_and_the_token_is_kept_encrypted(client, enayapay, merchant, sandbox):
    enaya_register(client)
    before = client.session.session_key
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP})
    assert response.status_code == 302
    session = client.session
    assert session.session_key != before
    tokens = [t for t, (phone, _) in sandbox.sandbox("enayapay").tokens.items() if phone == "249912345678"]
    assert len(tokens) == 1
    token = tokens[0]
    raw = repr(dict(session.items()))
    assert token not in raw  # encrypted in the session
    assert token not in response["Location"]
    for path in ("", "enayapay/", "enayapay/balance/", "enayapay/password/"):
        assert token not in html(client.get(me(path)))
    assert "_auth_user_id" not in session  # no Django user was signed in


def test_signing_out_a_customer_leaves_a_members_dashboard_session_alone(client, enayapay, members):
    client.force_login(members["owner"])
    enaya_signed_in(client)
    client.post(me("signout/"))
    assert client.get("/dashboard/").status_code == 200
    assert client.get(me("enayapay/")).status_code == 302


def test_every_form_needs_the_csrf_token(enayapay, vospay):
    strict = Client(enforce_csrf_checks=True)
    for path, data in (("enayapay/register/", {"name": "A", "phone": "0912345678", "password": "x" * 9,
                                               "password_confirm": "x" * 9}),
                       ("enayapay/login/", {"phone": "0912000001", "password": "Sandbox-Pass-1"}),
                       ("vospay/signin/", {"phone": "08110000002"}), ("signout/", {})):
        assert strict.post(me(path), data).status_code == 403
    page = strict.get(me("enayapay/register/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html(page)).group(1)
    response = strict.post(me("enayapay/register/"), {"name": "A", "phone": "0912345678", "password": "x" * 9,
                                                      "password_confirm": "x" * 9, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_vospay_token_is_not_in_pages_or_urls(client, vospay, merchant):
    response = vospay_signed_in(client)
    from accounts.selfservice.sessions import customer_get

    class _Request:
        session = client.session

    token = customer_get(request=_Request, merchant=merchant, provider="vospay").token
    assert token.count(".") == 2
    assert token not in response["Location"]
    for name in ("vospay-profile", "vospay-contracts", "vospay-access-code"):
        assert token not in html(client.get(reverse(f"selfservice:{name}", kwargs={"merchant_slug": "demo"})))
    assert token not in repr(dict(client.session.items()))


def test_every_page_shows_the_merchants_name(client, enayapay, vospay):
    for path in ("", "enayapay/register/", "enayapay/login/", "enayapay/forgot/", "vospay/activate/",
                 "vospay/signin/", "vospay/signin/access-code/"):
        response = client.get(me(path))
        assert response.status_code == 200, path
        assert 'data-testid="merchant-name">Demo Bazaar<' in html(response), path
        assert "sidenav" not in html(response)  # no dashboard navigation
        assert "<script>" not in html(response) and "style=" not in html(response)  # CSP-ready


def test_customer_required_is_what_the_checkout_uses(client, vospay, rf, merchant):
    from django.http import HttpResponse

    from accounts.selfservice.sessions import customer_required, customer_token

    @customer_required("vospay")
    def checkout(request, merchant_slug, order):
        token = customer_token(request)
        return HttpResponse(f"{request.customer.name}|{request.customer.customer.phone}|{order}|{token.count('.')}")

    request = rf.get("/me/demo/checkout/B001/")
    request.session = client.session
    response = checkout(request, merchant_slug="demo", order="B001")
    assert response.status_code == 302
    assert response["Location"] == "/me/demo/vospay/signin/?next=/me/demo/checkout/B001/"

    vospay_signed_in(client)
    request.session = client.session
    response = checkout(request, merchant_slug="demo", order="B001")
    assert response.content.decode() == "Siti Rohanah|+628110000002|B001|2"
    from django.http import Http404

    with pytest.raises(Http404):  # no such merchant
        checkout(request, merchant_slug="other", order="B001")
