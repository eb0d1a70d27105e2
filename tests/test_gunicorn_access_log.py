"""gunicorn's access log is not Django's logging: a real gunicorn with config/gunicorn.py
must still never write a callback token."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_and_log(tmp_path, send, *extra_args) -> str:
    """Start a real gunicorn with config/gunicorn.py, ``send(base_url)`` once it answers,
    and return its access log once the request is in it."""
    port, log = free_port(), tmp_path / "access.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--access-logfile", str(log), "--error-logfile", str(tmp_path / "web.log"), *extra_args],
        cwd=ROOT, env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    try:
        for _ in range(100):
            try:
                send(f"http://127.0.0.1:{port}")
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        for _ in range(50):
            if log.exists() and log.read_text().strip():
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return log.read_text()


def test_the_access_log_masks_callback_tokens(tmp_path):
    text = serve_and_log(tmp_path, lambda url: requests.post(
        f"{url}/callbacks/enigmapay/tok3nThatMustNotLeak42/", data=b"{}", timeout=20))  # the first request imports the app
    assert "/callbacks/enigmapay/[redacted]/" in text
    assert "tok3nThatMustNotLeak42" not in text


def test_the_access_log_masks_query_string_values(tmp_path):
    # A search box puts what is searched for in the URL: customers' emails and phones.
    search = "/dashboard/transactions/?q=ayse.yilmaz%40example.com&status=failed"
    referer = "http://paydesk.test/dashboard/customers/?q=081234567890"
    text = serve_and_log(
        tmp_path, lambda url: requests.get(f"{url}{search}", headers={"Referer": referer}, timeout=20,
                                           allow_redirects=False),
        "--access-logformat", '"%(r)s" %(s)s q=%(q)s ref="%(f)s"',
    )
    assert '"GET /dashboard/transactions/?q=[redacted]&status=[redacted] HTTP/1.1"' in text
    assert "q=q=[redacted]&status=[redacted] " in text
    assert 'ref="http://paydesk.test/dashboard/customers/?q=[redacted]"' in text
    for personal in ("ayse.yilmaz", "example.com", "081234567890", "failed"):
        assert personal not in text, personal


def test_the_access_log_masks_the_token_of_a_set_password_link(tmp_path):
    # An invited user's link (accounts:password-set): its token sets the password.
    token = "cxyz12-0f3a9b8c7d6e5f4a3b2c1d0e9f8a7b6c"
    text = serve_and_log(tmp_path, lambda url: requests.get(
        f"{url}/accounts/password/set/MTIz/{token}/", headers={"Referer": f"http://paydesk.test/accounts/password/set/MTIz/{token}/"},
        timeout=2, allow_redirects=False), "--access-logformat", '"%(r)s" %(s)s ref="%(f)s"')
    assert '"GET /accounts/password/set/MTIz/[redacted]/ HTTP/1.1"' in text
    assert token not in text
