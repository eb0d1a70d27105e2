"""The first screens a newcomer sees, in a real browser: the home page of each role
says what that role can do, staff land on admin, and the sandbox URL shows an index.
Screenshots go to tests/artifacts/ (ignored by git) for a human to look at."""

import pytest

from accounts.models import Role
from providers.registry import PROVIDERS
from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.factories import ConnectionFactory, MembershipFactory, MerchantFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


EXPECTED = {
    Role.OWNER: ("As the owner of Demo Bazaar you can", None),
    Role.MANAGER: ("As a manager of Demo Bazaar you can", "You cannot manage connections"),
    Role.VIEWER: ("As a viewer of Demo Bazaar you can", "You cannot move money"),
}


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.VIEWER])
def test_home_page_of_each_role_says_what_it_can_do(page, live_server, role):
    merchant = MerchantFactory(name="Demo Bazaar")
    ConnectionFactory(merchant=merchant)
    MembershipFactory(merchant=merchant, role=role, user=UserFactory(username=f"first-{role}"))
    sign_in(page, live_server, f"first-{role}")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    summary = page.get_by_test_id("role-summary").inner_text()
    can, cannot = EXPECTED[role]
    assert can in summary
    assert (cannot in summary) if cannot else ("You cannot" not in summary)
    assert page.get_by_test_id("connection-enigmapay").is_visible()
    shot(page, f"home-{role}")


def test_staff_sign_in_and_land_on_admin(page, live_server):
    UserFactory(username="first-staff", is_staff=True, is_superuser=True)
    sign_in(page, live_server, "first-staff")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert "Paydesk staff" in page.locator("#site-name").inner_text()


def test_sandbox_index_lists_the_five(page, sandbox):
    page.goto(f"{sandbox.url}/")
    assert page.locator("h1").inner_text() == "Paydesk sandboxes"
    for key in PROVIDERS:
        assert sandbox.base_url(key) in page.get_by_test_id(f"sandbox-{key}").inner_text()
    page.click("text=providers/enigmapay/README.md#test-data")
    assert "## Test data" in page.content()
    page.goto(f"{sandbox.url}/")
    shot(page, "sandbox-index")
