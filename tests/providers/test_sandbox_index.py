"""Opening the sandbox URL shows what runs there: the five sandboxes, the base URL to
give each connection, and where each one's test data is documented."""

import requests

from providers.registry import PROVIDERS


def test_the_sandbox_root_is_an_html_index_of_the_five(sandbox):
    response = requests.get(f"{sandbox.url}/", headers={"Accept": "text/html"}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert "<h1>Paydesk sandboxes</h1>" in page
    for key, spec in PROVIDERS.items():
        assert f'data-testid="sandbox-{key}"><td>{spec.label}</td>' in page
        assert f"<code>{sandbox.base_url(key)}</code>" in page
        assert f'<a href="{sandbox.url}/_sandbox/readme/{key}">providers/{key}/README.md#test-data</a>' in page
    assert f"{sandbox.url}/_sandbox/faults" in page  # the control API is listed too


def test_the_sandbox_root_answers_json_when_asked(sandbox):
    body = requests.get(f"{sandbox.url}/", headers={"Accept": "application/json"}, timeout=5).json()
    listed = {s["provider"]: s for s in body["sandboxes"]}
    assert sorted(listed) == sorted(PROVIDERS)
    assert listed["enigmapay"] == {
        "provider": "enigmapay", "label": "EnigmaPay", "country": "TR", "currency": "TRY",
        "base_url": f"{sandbox.url}/enigmapay/api/dealer",
        "test_data": "providers/enigmapay/README.md#test-data",
        "readme_url": f"{sandbox.url}/_sandbox/readme/enigmapay",
    }
    assert body["control"] == f"{sandbox.url}/_sandbox/"


def test_each_readme_link_serves_that_providers_test_data(sandbox):
    for key in PROVIDERS:
        response = requests.get(f"{sandbox.url}/_sandbox/readme/{key}", timeout=5)
        assert response.status_code == 200, key
        assert response.headers["Content-Type"].startswith("text/markdown")
        assert "## Test data" in response.text, key
    assert "enigma_test_key_dealer_7Kq2Lm9x" in requests.get(f"{sandbox.url}/_sandbox/readme/enigmapay", timeout=5).text
    missing = requests.get(f"{sandbox.url}/_sandbox/readme/paypal", timeout=5)
    assert missing.status_code == 404
    assert requests.get(f"{sandbox.url}/_sandbox/readme/..%2F..%2Fsettings", timeout=5).status_code == 404


def test_the_control_url_the_index_names_lists_the_control_calls(sandbox):
    body = requests.get(f"{sandbox.url}/", headers={"Accept": "application/json"}, timeout=5).json()
    response = requests.get(body["control"], timeout=5)
    assert response.status_code == 200
    listing = response.json()
    calls = {(c["method"], c["url"]) for c in listing["control"]}
    assert {("POST", f"{sandbox.url}/_sandbox/faults"), ("GET", f"{sandbox.url}/_sandbox/faults"),
            ("DELETE", f"{sandbox.url}/_sandbox/faults"), ("POST", f"{sandbox.url}/_sandbox/reset"),
            ("POST", f"{sandbox.url}/_sandbox/config")} <= calls
    assert listing["faults"] == ["timeout", "500", "502", "503", "malformed", "slow", "dropped"]
    [arm] = [c for c in listing["control"] if c["method"] == "POST" and c["url"].endswith("/faults")]
    assert "dropped" in arm["what"]
    page = requests.get(f"{sandbox.url}/", headers={"Accept": "text/html"}, timeout=5).text
    assert "malformed, slow, dropped" in page  # the HTML index lists the same calls
