"""Helpers shared by the tests: provider clients with short timeouts, request counting
on a sandbox, waiting for state that changes later, and a callback receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module
from typing import Any

from providers.base.client import ProviderClient, RetryPolicy, Timeouts, build_session
from providers.registry import get_spec

# Short enough for a quick suite; arm "timeout" faults with delay=1.0 to exceed read.
FAST_TIMEOUTS = Timeouts(connect=1, read=0.5)
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


def fast_client(sandbox, provider: str, **overrides: Any) -> ProviderClient:
    """``provider``'s client on the running sandbox, with the sandbox's demo credentials,
    its own session, short timeouts and quick retries; ``overrides`` replace any of them."""
    options = {
        **import_module(f"providers.{provider}.sandbox").DEMO_CREDENTIALS,
        "session": build_session(),
        "timeouts": FAST_TIMEOUTS,
        "retry": FAST_RETRY,
        **overrides,
    }
    return get_spec(provider).client_class()(base_url=sandbox.base_url(provider), **options)


def requests_to(sandbox, provider: str, path: str) -> int:
    """How many requests for ``path`` (relative to the provider's prefix) reached it."""
    return sum(1 for r in sandbox.sandbox(provider).received if r.path == path)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy and return its value; raise on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("the awaited state never came")
        time.sleep(interval)


class CallbackReceiver:
    """A merchant endpoint on a free local port that records every POST and answers
    ``answer`` (JSON bytes) with HTTP ``status``."""

    def __init__(self, *, status: int = 200, answer: bytes = b'{"success": true}') -> None:
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:  # keep test output quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/callback"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def bodies(self) -> list[bytes]:
        return [r["body"] for r in self.received]

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        wait_for(lambda: len(self.received) >= count, timeout)
        return self.received
