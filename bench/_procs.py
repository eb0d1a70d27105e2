"""Process helpers the benchmark scripts share: a free port, the CPU of processes read from
/proc, a process tree, the sandboxes in a process of their own, stopping what a script
started, and the ``RESULT {json}`` line bench/run_all.py collects. No Django here: the
callback bench runs under other settings than the others."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "RESULT "


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes (all their threads) so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def tree(pid: int) -> list[int]:
    """A process and its descendants (a Celery worker and its pool processes)."""
    if not Path(f"/proc/{pid}").exists():
        return []
    return [pid, *(p for c in children(pid) for p in tree(c))]


def wait_answers(url: str, seconds: float = 30) -> None:
    """Until ``url`` answers anything over HTTP."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} never answered")


def start_sandbox(*, env: dict | None = None, stderr=subprocess.DEVNULL, keepalive: bool = False
                  ) -> tuple[subprocess.Popen, str]:
    """The five provider sandboxes on a free port, in a process group of their own, once
    they answer: ``manage.py runsandbox``, or with ``keepalive`` under gunicorn
    (``bench/sandbox_wsgi.py``), which keeps connections open as a real upstream does
    (werkzeug's server closes each one after its answer)."""
    port = free_port()
    if keepalive:
        command = ["-m", "gunicorn", "bench.sandbox_wsgi:application", "--bind", f"127.0.0.1:{port}",
                   "--workers", "1", "--threads", "4", "--keep-alive", "30", "--log-level", "warning"]
    else:
        command = ["manage.py", "runsandbox", "--port", str(port)]
    proc = subprocess.Popen(  # noqa: S603 - this interpreter, the project's command
        [sys.executable, *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_answers(f"{url}/_sandbox/faults")
    return proc, url


def stop(procs, timeout: float = 30) -> None:
    """SIGTERM to each process still running (to its whole group when it leads one, as
    those started with ``start_new_session`` do), then wait for each."""
    for p in procs:
        if p.poll() is None:
            try:
                if os.getpgid(p.pid) == p.pid:
                    os.killpg(p.pid, signal.SIGTERM)
                else:
                    p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in procs:
        p.wait(timeout=timeout)


def result(data: dict) -> None:
    """The script's figures as one last line, for bench/run_all.py."""
    print(RESULT_PREFIX + json.dumps(data, default=str), flush=True)
