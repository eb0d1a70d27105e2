"""What reaches a log: a refused page is one line (no traceback) on every handler; a
5xx keeps its traceback; in local mode application logs go to a file under var/log/
and the terminal gets warnings and errors only, every handler redacting."""

import io
import logging
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Role
from config.log_filters import ClientErrorsOnOneLine
from tests.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def configured_console():
    """The text Django's configured console handler writes while the block runs."""
    handler = next(h for h in logging.getLogger("django").handlers if h.get_name() == "console")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
def test_a_403_is_one_log_line_without_a_traceback(client):
    membership = MembershipFactory(role=Role.VIEWER)
    client.force_login(membership.user)
    with configured_console() as output:
        response = client.get(reverse("accounts:team"))
    assert response.status_code == 403
    lines = output.getvalue().splitlines()
    assert len(lines) == 1, output.getvalue()
    assert "WARNING django.request Forbidden (Permission denied): /dashboard/settings/team/" in lines[0]
    assert "(This page needs the owner role.)" in lines[0]  # the reason, on the same line
    assert "Traceback" not in output.getvalue()


@pytest.mark.django_db
def test_a_403_for_a_user_with_no_merchant_and_a_404_are_one_line_each(client):
    client.force_login(UserFactory())
    with configured_console() as output:
        assert client.get(reverse("accounts:dashboard")).status_code == 403
        assert client.get("/no-such-page/").status_code == 404
    lines = output.getvalue().splitlines()
    assert len(lines) == 2, output.getvalue()
    assert "Forbidden (Permission denied): /dashboard/ (You are not a member of any merchant yet.)" in lines[0]
    assert "Not Found: /no-such-page/" in lines[1]


def _record(status: int) -> logging.LogRecord:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Failed: %s", ("/x/",), exc_info)
    record.status_code = status
    return record


def test_a_5xx_keeps_its_traceback_and_a_4xx_loses_it():
    formatter = logging.Formatter("%(message)s")
    server_error, client_error = _record(500), _record(400)
    assert ClientErrorsOnOneLine().filter(server_error) and ClientErrorsOnOneLine().filter(client_error)
    assert "Traceback" in formatter.format(server_error)
    assert formatter.format(client_error) == "Failed: /x/ (boom)"


LOCAL_PROBE = """
import logging, sys
import django
django.setup()
from django.core.exceptions import PermissionDenied
try:
    raise PermissionDenied("needs the owner role")
except PermissionDenied as e:
    logging.getLogger("django.request").warning("Forbidden (Permission denied): %s", "/t/",
                                                exc_info=e, extra={"status_code": 403})
logging.getLogger("providers.http").info("eoneopay GET /payments -> 200 card %s", "4000000000000002")
logging.getLogger("celery.worker").info("celery says hello")
logging.getLogger("payments").error("a real error")
for handler in logging.getLogger().handlers + logging.getLogger("django").handlers:
    print(handler.get_name(), sorted(type(f).__name__ for f in handler.filters))
"""


def test_local_mode_logs_to_a_file_and_shows_only_warnings_and_errors_on_the_terminal(tmp_path):
    log_file = tmp_path / "log" / "paydesk.log"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "PAYDESK_LOG_FILE": str(log_file)}
    result = subprocess.run([sys.executable, "-c", LOCAL_PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    written = log_file.read_text()
    assert "INFO providers.http eoneopay GET /payments -> 200 card 400000******0002" in written
    assert "INFO celery.worker celery says hello" in written
    assert "Forbidden (Permission denied): /t/ (needs the owner role)" in written
    assert "ERROR payments a real error" in written
    assert "Traceback" not in written
    assert "4000000000000002" not in written  # redacted in the file too
    # The terminal: the warning and the error, nothing at INFO.
    terminal = result.stderr.splitlines()
    assert len(terminal) == 2, result.stderr
    assert "WARNING django.request Forbidden" in terminal[0] and "ERROR payments a real error" in terminal[1]
    # Every handler, console and file, on root and django.*, redacts and keeps 4xx on one line.
    handlers = result.stdout.splitlines()
    assert sorted(set(handlers)) == [
        "console ['ClientErrorsOnOneLine', 'RedactingFilter']",
        "file ['ClientErrorsOnOneLine', 'RedactingFilter']",
    ]


def test_the_suite_writes_nothing_to_var_log():
    for logger in (logging.getLogger(), logging.getLogger("django")):
        files = [getattr(h, "baseFilename", "") for h in logger.handlers]
        assert not [f for f in files if "/var/log/" in f], files
