"""Security headers read from real responses: the Content-Security-Policy every mode
sends (no inline scripts anywhere), and what production adds (HSTS, the https redirect,
secure and HttpOnly cookies). Production runs in a subprocess with its own settings."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_settings import PROD_ENV, ROOT, _clean_env

pytestmark = pytest.mark.django_db

TEMPLATES = Path(ROOT, "templates")


def _policy(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def test_every_page_has_a_policy_that_allows_no_inline_script(client):
    for path in ("/accounts/login/", "/api/docs/", "/healthz"):
        policy = _policy(client.get(path))
        assert policy["script-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert client.get("/accounts/login/")["X-Frame-Options"] == "DENY"


def test_no_template_has_an_inline_script_or_event_handler():
    """What the policy would block, caught before a browser does: a <script> without src,
    or an on*= attribute, in any template."""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0) and 'type="application/json"' not in match.group(0):
                offenders.append(f"{template.relative_to(ROOT)}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{template.relative_to(ROOT)}: {match.group(0).strip()}")
    assert offenders == []


PRODUCTION_PROBE = """
import django, json
# The manifest storage needs collectstatic; the headers do not depend on it.
import config.settings.production as production
production.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
c = Client()
plain = c.get("/accounts/login/", HTTP_HOST="paydesk.example.com")
health = c.get("/healthz", HTTP_HOST="paydesk.example.com")
secure = c.get("/accounts/login/", HTTP_HOST="paydesk.example.com", secure=True)
csrf = secure.cookies["csrftoken"]
from django.conf import settings
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "health_redirected": health.status_code in (301, 302),
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csp": secure.get("Content-Security-Policy", ""),
    "frame": secure.get("X-Frame-Options", ""),
    "nosniff": secure.get("X-Content-Type-Options", ""),
    "csrf_cookie_secure": bool(csrf["secure"]),
    "session": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY],
}))
"""


def test_production_redirects_to_https_and_sends_hsts_and_secure_cookies():
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60,
        # The login page reads the database: the server's own "postgres" database, read only.
        env=_clean_env(DJANGO_SETTINGS_MODULE="config.settings.production",
                       **{**PROD_ENV, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"}),
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["plain"] == [301, "https://paydesk.example.com/accounts/login/"]
    assert found["health_redirected"] is False, "the health probe answers over plain http"
    assert found["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in found["csp"] and "unsafe-inline" not in found["csp"].split("script-src")[1].split(";")[0]
    assert (found["frame"], found["nosniff"]) == ("DENY", "nosniff")
    assert found["csrf_cookie_secure"] is True
    assert found["session"] == [True, True]
