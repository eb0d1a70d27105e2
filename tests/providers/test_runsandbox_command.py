"""`manage.py runsandbox` (what `make run` starts) serves the five sandboxes on one
port under their prefixes, with the control API beside them."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from providers.registry import PROVIDERS

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sandbox_process():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runsandbox", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{url}/_sandbox/faults", timeout=0.5)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url, process
    process.terminate()
    process.wait(timeout=10)


def test_runsandbox_serves_every_provider_and_stops_on_sigterm(sandbox_process):
    url, process = sandbox_process
    assert requests.get(f"{url}/_sandbox/faults", timeout=2).json() == {"armed": []}
    for key, spec in PROVIDERS.items():
        # An unknown path under each prefix reaches that sandbox (its own 404), not the router's.
        response = requests.get(f"{url}{spec.sandbox_prefix}/no-such-endpoint", timeout=2)
        assert response.status_code in (401, 404, 405), key
        assert "No sandbox at" not in response.text, key
    assert "No sandbox at" in requests.get(f"{url}/paypal/x", timeout=2).text
    armed = requests.post(f"{url}/_sandbox/faults", json={"provider": "enigmapay", "operation": "ibans",
                                                          "fault": "503"}, timeout=2)
    assert armed.status_code == 201
    for bad in ({"provider": "enigmapay", "fault": "explode"},
                {"provider": "enigmapay", "operation": "no_such_operation", "fault": "503"},
                {"provider": "enigmapay", "operation": "ibans", "fault": "503", "count": 0},
                {"provider": "paypal", "fault": "503"}):
        answer = requests.post(f"{url}/_sandbox/faults", json=bad, timeout=2)
        assert answer.status_code == 400, bad
        assert answer.json()["message"]
    assert len(requests.get(f"{url}/_sandbox/faults", timeout=2).json()["armed"]) == 1
    process.terminate()
    output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert f"Sandboxes listening on {url}" in output
    for spec in PROVIDERS.values():
        assert f"{url}{spec.sandbox_prefix}" in output
