"""What `make run` does for a newcomer, piece by piece: the banner lists only URLs
that answer, and Celery's broker files stay under var/ (git status stays clean)."""

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def _dead_url() -> str:
    with socket.socket() as s:  # a port that was free a moment ago: nobody listens there
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _banner(web: str, sandbox: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bin/banner.py", web, sandbox, "--wait", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_banner_lists_every_url_when_all_answer(live_server, sandbox):
    from tests.factories import MerchantFactory

    MerchantFactory(name="Demo Bazaar", slug="demo")  # as seed_demo makes it: its customer pages answer
    result = _banner(live_server.url, sandbox.url)
    assert result.returncode == 0, result.stderr
    assert f"Paydesk is running:   {live_server.url}/\n" in result.stdout
    assert f"Admin:                {live_server.url}/admin/\n" in result.stdout
    assert f"Customer pages:       {live_server.url}/me/demo/  (Demo Bazaar's customers" in result.stdout
    assert f"Sandboxes:            {sandbox.url}/  (index: base URLs, test data)" in result.stdout
    assert f"Sandbox control API:  {sandbox.url}/_sandbox/" in result.stdout
    assert "owner        Demo Bazaar, owner" in result.stdout
    assert result.stderr == ""
    for shown in (f"{live_server.url}/admin/", f"{live_server.url}/me/demo/", f"{sandbox.url}/",
                  f"{sandbox.url}/_sandbox/"):
        assert requests.get(shown, timeout=5).status_code == 200, shown  # each link leads somewhere


@pytest.mark.django_db(transaction=True)
def test_banner_leaves_out_a_url_that_does_not_answer_and_says_where_to_look(live_server):
    dead = _dead_url()
    result = _banner(live_server.url, dead)
    assert result.returncode == 1
    assert f"{live_server.url}/admin/" in result.stdout
    assert dead not in result.stdout  # never a link that leads nowhere
    assert f"{dead}/ is not answering; see var/log/sandbox.log" in result.stderr
    assert f"{dead}/_sandbox/ is not answering; see var/log/sandbox.log" in result.stderr


PIDBOX_PROBE = """
import django
django.setup()
from config.celery import app
with app.connection_for_write() as conn:  # what a worker does at start: bind its pidbox
    app.control.mailbox(conn).Node("probe@first-run", channel=conn.default_channel).listen().cancel()
from django.conf import settings
print(settings.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"])
"""


def test_celery_filesystem_broker_writes_its_exchange_tables_under_var_not_the_working_directory(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "PAYDESK_LOG_FILE": str(tmp_path / "probe.log")}
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = subprocess.run([sys.executable, "-c", PIDBOX_PROBE], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    control = Path(result.stdout.strip())
    assert control == ROOT / "var" / "celery" / "control"
    assert (control / "celery.pidbox.exchange").exists()
    assert list(cwd.iterdir()) == []  # kombu's default would have made ./control here


def test_gitignore_covers_everything_make_run_writes():
    ignored = subprocess.run(
        [shutil.which("git"), "check-ignore", "--no-index", "var/db.sqlite3", "var/log/paydesk.log", "var/celery/control/x",
         ".venv/bin/python", "staticfiles/css/app.css", "tests/artifacts/home-owner.png"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert len(ignored.stdout.split()) == 6, ignored.stdout
