"""The callbacks page drawn by a real browser at desktop width; the screenshot goes
to tests/artifacts/callbacks.png."""

import pytest

from tests.browser.support import shot
from tests.browser.test_dashboard_shell import sign_in
from tests.payments.test_callback_apply_page import seed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_screenshot_of_the_callbacks_page(page, live_server):
    seed()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "vera")
    page.goto(f"{live_server.url}/dashboard/callbacks/")
    row = page.locator('[data-testid="callbacks-enigmapay-test"] tbody tr')
    assert row.count() == 5
    assert "not confirmed" in page.locator('[data-testid="outcome"]').nth(2).inner_text()
    shot(page, "callbacks")
