"""The sandbox framework: each provider's sandbox is a small WSGI app with in-memory
state; one server mounts all five under their prefixes (``providers/sandbox_server.py``).

A sandbox subclass declares its routes with ``@route``; the endpoint name of a route is
the operation name used for fault injection (``POST /_sandbox/faults``), and should be
the same name as the client method that calls it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import requests
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

logger = logging.getLogger("providers.sandbox")

# "dropped": the request is read in full, then the connection is closed with no answer,
# as when an upstream crashes or a proxy gives up after the request went out.
FAULT_KINDS = ("timeout", "500", "502", "503", "malformed", "slow", "dropped")


def route(rule: str, *, methods: tuple[str, ...] = ("GET",), endpoint: str | None = None):
    """Declare a sandbox route. The handler gets ``(request, **url_values)``."""

    def decorate(fn: Callable) -> Callable:
        fn._sandbox_routes = [*getattr(fn, "_sandbox_routes", []), (rule, methods, endpoint or fn.__name__)]
        return fn

    return decorate


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    """``body`` as JSON; ``None`` is an empty body. A ``str`` or ``bytes`` body is taken as
    JSON already encoded and sent as is (for exact decimals the stdlib encoder cannot write)."""
    if body is None:
        return Response(b"", status=status, headers=headers)
    text = body if isinstance(body, str | bytes) else json.dumps(body, default=str)
    return Response(text, status=status, mimetype="application/json", headers=headers)


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str  # relative to the sandbox's prefix
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class Fault:
    kind: str
    remaining: int = 1
    delay: float = 3.0  # seconds, for timeout and slow
    act: bool | None = None  # whether the sandbox performs the operation before failing


class FaultRegistry:
    """Armed faults by (provider, operation); ``operation='*'`` matches every call."""

    def __init__(self) -> None:
        self._faults: dict[tuple[str, str], deque[Fault]] = {}
        self._lock = threading.Lock()

    def arm(self, provider: str, operation: str, kind: str, *, count: int = 1, delay: float = 3.0,
            act: bool | None = None) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault must be one of {', '.join(FAULT_KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.setdefault((provider, operation), deque()).append(
                Fault(kind=kind, remaining=count, delay=delay, act=act)
            )

    def take(self, provider: str, operation: str) -> Fault | None:
        with self._lock:
            for key in ((provider, operation), (provider, "*")):
                queue = self._faults.get(key)
                if queue:
                    fault = queue[0]
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.popleft()
                    return fault
        return None

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()

    def armed(self) -> list[dict]:
        with self._lock:
            return [
                {"provider": p, "operation": o, "fault": f.kind, "remaining": f.remaining}
                for (p, o), q in self._faults.items()
                for f in q
            ]


class ConnectionDropped(ConnectionAbortedError):
    """Raised out of the WSGI app so that the server gives up on the request silently
    (werkzeug treats a ConnectionError as a client that went away) and sends nothing."""


def drop_connection(request: Request) -> None:
    """Close the connection of ``request`` without answering. The body has been read
    (``dispatch`` records it first), so the upstream has seen the whole request. The
    socket is shut down rather than left to the server: an HTTP/1.1 server would keep it
    open for the next request and the client would wait for a read timeout instead."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already gone
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionDropped("sandbox fault: connection dropped after the request was read")


class Sandbox:
    """Base of the five sandboxes. Subclasses set ``name`` and ``prefix``, fill
    ``reset()`` with their in-memory state, and declare routes."""

    name: ClassVar[str]
    prefix: ClassVar[str]
    # Seconds before a pending money movement completes (payouts, settlements...).
    completion_delay: float = 2.0

    def __init__(self, faults: FaultRegistry | None = None) -> None:
        self.faults = faults or FaultRegistry()
        self.lock = threading.RLock()
        self.callbacks: list[dict] = []  # every callback sent: url, body, status/error
        # The last requests received, as they came over the wire, for wire-format tests.
        self.received: deque[ReceivedRequest] = deque(maxlen=200)
        self._timers: list[threading.Timer] = []
        rules = []
        self._handlers: dict[str, Callable] = {}
        for attr in dir(type(self)):
            fn = getattr(type(self), attr, None)
            for rule, methods, endpoint in getattr(fn, "_sandbox_routes", []):
                rules.append(Rule(rule, methods=list(methods), endpoint=endpoint))
                self._handlers[endpoint] = getattr(self, attr)
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)
        self.reset()

    def reset(self) -> None:
        """Forget all state and go back to the documented test data."""
        for timer in self._timers:
            timer.cancel()
        self._timers = []
        self.callbacks = []
        self.received.clear()
        self.completion_delay = type(self).completion_delay
        self.latency = 0.0  # seconds added to every call, outside the lock (benchmarks)

    def configure(self, options: dict) -> dict:
        """Tune the sandbox at run time (``POST /_sandbox/config``)."""
        if "completion_delay" in options:
            self.completion_delay = float(options["completion_delay"])
        if "latency" in options:
            self.latency = float(options["latency"])
        return {"completion_delay": self.completion_delay, "latency": self.latency}

    # -- WSGI -----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        self.received.append(
            ReceivedRequest(
                method=request.method,
                path=request.path,
                query=request.query_string.decode(),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.get_data(cache=True),
            )
        )
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except NotFound:
            return self.not_found(request)
        except MethodNotAllowed:
            return self.method_not_allowed(request)
        except HTTPException as e:
            return e.get_response()
        if self.latency:
            time.sleep(self.latency)  # as a far-away upstream: calls wait side by side, not in turn
        fault = self.faults.take(self.name, endpoint)
        if fault is not None and fault.kind in ("500", "502", "503") and not fault.act:
            return self.fault_response(fault)
        if fault is not None and fault.kind == "timeout" and fault.act is False:
            time.sleep(fault.delay)
            return json_response({"message": "late"}, 504)
        if fault is not None and fault.kind == "dropped" and fault.act is False:
            drop_connection(request)
        with self.lock:
            response = self._handlers[endpoint](request, **values)
        if fault is None:
            return response
        if fault.kind in ("timeout", "slow"):
            time.sleep(fault.delay)
            return response
        if fault.kind == "malformed":
            return Response(b'{"success": tru', status=response.status_code, mimetype="application/json")
        if fault.kind == "dropped":
            drop_connection(request)
        return self.fault_response(fault)

    def operations(self) -> set[str]:
        """The operation names faults can be armed for (the route endpoints)."""
        return set(self._handlers)

    def fault_response(self, fault: Fault) -> Response:
        status = int(fault.kind)
        text = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}[status]
        return Response(f"<html><body><h1>{status} {text}</h1></body></html>", status=status, mimetype="text/html")

    def not_found(self, request: Request) -> Response:
        return json_response({"message": "Not found"}, 404)

    def method_not_allowed(self, request: Request) -> Response:
        return json_response({"message": "Method not allowed"}, 405)

    # -- helpers for subclasses ------------------------------------------------------------
    @staticmethod
    def body(request: Request) -> dict:
        """The JSON body as a dict; {} when absent or not an object."""
        try:
            data = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` under the sandbox lock after ``seconds`` (status transitions)."""

        def run():
            with self.lock:
                fn()

        timer = threading.Timer(max(seconds, 0), run)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def send_callback(self, url: str | None, body: dict, *, headers: dict | None = None,
                      raw: str | bytes | None = None) -> None:
        """POST a callback to the URL Paydesk registered, in the background. ``raw``, when
        given, is ``body`` already encoded as JSON and is sent as is (``body`` is kept in
        the record)."""
        if not url:
            return
        record = {"url": url, "body": body, "status": None, "error": None, "answer": None}
        self.callbacks.append(record)
        if raw is None:
            send: dict[str, Any] = {"json": body, "headers": headers or {}}
        else:
            data = raw.encode() if isinstance(raw, str) else raw
            send = {"data": data, "headers": {"Content-Type": "application/json", **(headers or {})}}

        def deliver():
            try:
                r = requests.post(url, timeout=(2, 5), **send)
                record["status"], record["answer"] = r.status_code, r.text[:500]
            except requests.RequestException as e:
                record["error"] = type(e).__name__
                logger.warning("sandbox %s callback to %s failed: %s", self.name, url, type(e).__name__)

        threading.Thread(target=deliver, daemon=True).start()
