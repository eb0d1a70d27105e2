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


def test_the_access_log_masks_callback_tokens(tmp_path):
    port, log = free_port(), tmp_path / "access.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--access-logfile", str(log), "--error-logfile", str(tmp_path / "web.log")],
        cwd=ROOT, env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    try:
        for _ in range(100):
            try:
                requests.post(f"http://127.0.0.1:{port}/callbacks/enigmapay/tok3nThatMustNotLeak42/", data=b"{}",
                              timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        for _ in range(50):
            if log.exists() and "callbacks" in log.read_text():
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log.read_text()
    assert "/callbacks/enigmapay/[redacted]/" in text
    assert "tok3nThatMustNotLeak42" not in text
