"""The Content-Security-Policy is on, and the desk works under it: a real browser opens
the main pages (charts, htmx polling, the merchant switcher, the API docs) and reports
no violation. A page that needed an inline script would fail here."""

import pytest

from tests.browser.test_dashboard_shell import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PAGES = ["/dashboard/", "/dashboard/transactions/", "/dashboard/ibans/", "/dashboard/callbacks/", "/api/docs/"]


def test_the_main_pages_run_under_the_policy_with_no_violation(page, live_server, enigmapay, members):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    sign_in(page, live_server, "owner")
    for path in PAGES:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    assert page.locator(".swagger-ui").count() == 1, "the API docs rendered (their script is a file)"
    assert violations == []
