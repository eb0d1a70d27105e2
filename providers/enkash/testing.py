"""Helpers for tests and demos against the EnKash sandbox: a client with short timeouts,
a tiny HTTP receiver for notify callbacks, and a wait for state that changes later."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from providers.base.client import RetryPolicy, Timeouts, build_session
from providers.enkash.client import EnKashClient
from providers.enkash.sandbox_data import DEMO_MERCHANT, TestMerchant

FAST_TIMEOUTS = Timeouts(connect=1, read=0.5)
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


def sandbox_client(base_url: str, merchant: TestMerchant = DEMO_MERCHANT, **overrides: Any) -> EnKashClient:
    """A client on its own session (so with no cached token) and short timeouts."""
    options = {
        "access_key": merchant.access_key,
        "secret_key": merchant.secret_key,
        "session": build_session(),
        "timeouts": FAST_TIMEOUTS,
        "retry": FAST_RETRY,
        **overrides,
    }
    return EnKashClient(base_url=base_url, **options)


def wait_for(predicate: Callable[[], Any], timeout: float = 3.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; return its value (raise on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("the awaited state never came")
        time.sleep(interval)


class NotifyReceiver:
    """An HTTP server on a free local port that records every POST it gets."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "OK"}')

            def log_message(self, *args) -> None:  # keep test output quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/enkash/notify"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> NotifyReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, count: int = 1, timeout: float = 3.0) -> list[dict[str, Any]]:
        wait_for(lambda: len(self.received) >= count, timeout)
        return self.received
