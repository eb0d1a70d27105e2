"""A member signs in with a real browser, sees the shell for the right merchant and
role, switches merchant, and never sees a full secret."""

import pytest

from accounts.models import Role
from tests.factories import PASSWORD, ConnectionFactory, MembershipFactory, MerchantFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_owner_signs_in_switches_merchant_and_sees_masked_secrets(page, live_server):
    alpha = MerchantFactory(name="Alpha Bazaar")
    beta = MerchantFactory(name="Beta Books")
    user = UserFactory(username="olga")
    MembershipFactory(user=user, merchant=alpha, role=Role.OWNER)
    MembershipFactory(user=user, merchant=beta, role=Role.VIEWER)
    connection = ConnectionFactory(merchant=alpha)

    sign_in(page, live_server, "olga")
    assert page.locator("main h1").inner_text() == "Alpha Bazaar"
    assert page.get_by_test_id("role").inner_text() == "Owner"
    assert page.get_by_test_id("connection-enigmapay").is_visible()

    page.click("text=Connections")
    page.click("text=Manage")
    assert page.url.endswith(f"/dashboard/settings/connections/{connection.pk}/")
    body = page.content()
    assert "sk_factory_secret_value_9876" not in body
    assert "••••9876" in body
    # The secret inputs are write-only: empty even though a secret is stored.
    assert page.input_value("#id_credential_secret_key") == ""

    page.select_option("[data-testid=merchant-switcher]", label="Beta Books")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.locator("main h1").inner_text() == "Beta Books"
    assert page.get_by_test_id("role").inner_text() == "Viewer"
    assert page.locator("nav >> text=Connections").count() == 0


def test_wrong_password_shows_a_clear_message(page, live_server):
    UserFactory(username="pavel")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "pavel")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "do not match" in page.get_by_role("alert").inner_text()
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
