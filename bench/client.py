"""A provider client's calls per second over one pooled session (keep-alive: one TCP
connection reused) against a new session, and so a new connection, per call. The
baseline is measured in the same run, against the same sandbox process.

    /work/main/.venv/bin/python bench/client.py [N]      (default 2,000 calls each way)

The sandbox runs in its own process, so the client's figures are not mixed with the
server's CPU in one interpreter: under gunicorn (``bench/sandbox_wsgi.py``), which keeps
connections open as a real upstream does. (``manage.py runsandbox``'s werkzeug server
closes each connection after its answer: against it the pooled session reused nothing,
and the two figures were the same within noise, 0.92-1.58x between runs.) The call is EnigmaPay's dealer
settings (a read, like the sync's status calls), with no added latency: what is measured
is the client and the connection, not the upstream."""

from __future__ import annotations

import os
import statistics
import sys
import time

import _setup  # noqa: F401  (Django settings, for the client's logging and redaction)
from _procs import result, start_sandbox, stop

from providers.base.client import NO_RETRY, Timeouts, build_session
from providers.enigmapay.client import EnigmaPayClient
from providers.enigmapay.testdata import DEMO_CREDENTIALS
from providers.registry import PROVIDERS

TIMEOUTS = Timeouts(connect=3.05, read=10.0)


def run(calls: int, base_url: str, *, pooled: bool) -> tuple[float, list[float]]:
    shared = build_session()
    latencies = []
    start = time.perf_counter()
    for _ in range(calls):
        session = shared if pooled else build_session()
        client = EnigmaPayClient(base_url=base_url, session=session, timeouts=TIMEOUTS, retry=NO_RETRY,
                                 **DEMO_CREDENTIALS)
        t0 = time.perf_counter()
        client.settings()
        latencies.append(time.perf_counter() - t0)
        if not pooled:
            session.close()
    return time.perf_counter() - start, latencies


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import logging

    logging.getLogger("providers").setLevel(logging.WARNING)
    proc, url = start_sandbox(keepalive=True)
    try:
        base_url = PROVIDERS["enigmapay"].sandbox_url(url)
        run(50, base_url, pooled=True)  # warm both sides
        new_wall, new_lat = run(calls, base_url, pooled=False)
        pooled_wall, pooled_lat = run(calls, base_url, pooled=True)
    finally:
        stop([proc])
    rows = (("new_connection", "new connection per call", new_wall, new_lat),
            ("pooled", "pooled session", pooled_wall, pooled_lat))
    figures = {"calls": calls}
    for key, label, wall, lat in rows:
        p50 = statistics.median(lat) * 1000
        p99 = statistics.quantiles(lat, n=100)[98] * 1000
        print(f"{label:>24}: {calls / wall:7.0f} calls/s   p50 {p50:5.2f} ms   p99 {p99:5.2f} ms")
        figures[key] = {"calls_per_s": calls / wall, "p50_ms": p50, "p99_ms": p99}
    print(f"pooled / new-connection throughput: {new_wall / pooled_wall:.2f}x")
    result(figures)


if __name__ == "__main__":
    main()
