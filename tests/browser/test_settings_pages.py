"""The team and API keys pages in a real browser at desktop width: an owner adds a
member and creates a key, which is shown once; screenshots go to tests/artifacts/."""

import pytest

from accounts.models import ApiKey, Role
from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_owner_manages_the_team_and_keys(page, live_server):
    alpha = MerchantFactory(name="Alpha Bazaar")
    MembershipFactory(user=UserFactory(username="olga"), merchant=alpha, role=Role.OWNER)
    MembershipFactory(user=UserFactory(username="mona"), merchant=alpha, role=Role.MANAGER)
    UserFactory(username="vic")
    page.set_viewport_size({"width": 1366, "height": 800})
    sign_in(page, live_server, "olga")

    page.click("nav >> text=Team")
    page.fill("#id_email_or_username", "vic")
    page.select_option("#id_role", "viewer")
    page.click("text=Add to team")
    assert "vic joined as Viewer" in page.get_by_role("status").inner_text()
    assert page.get_by_test_id("member-vic").is_visible()
    assert "the only owner" in page.get_by_test_id("member-olga").inner_text()
    shot(page, "settings-team")

    page.click("nav >> text=API keys")
    page.fill("#id_name", "shop backend")
    page.click("text=Create key")
    raw_key = page.get_by_test_id("raw-key").inner_text()
    key = ApiKey.objects.get()
    assert raw_key.startswith(f"pd_{key.prefix}_")
    shot(page, "settings-api-keys")

    page.goto(f"{live_server.url}/dashboard/settings/api-keys/")  # a fresh GET: the key is gone for good
    assert page.get_by_test_id("new-key").count() == 0
    assert raw_key not in page.content()
    page.click(f"[data-testid=key-{key.prefix}] >> text=Revoke")
    assert "Revoked" in page.get_by_test_id(f"key-{key.prefix}").inner_text()
