"""All five sandboxes on one port, under their prefixes, plus a control API:

    GET    /                  index: the sandboxes, their base URLs, where their test
                              data is documented (HTML; JSON with Accept: application/json)
    GET    /_sandbox/readme/NAME   that provider's README (its test data), as Markdown

    GET    /_sandbox/         the control calls below, and the fault kinds (JSON)
    POST   /_sandbox/faults   {"provider", "operation" ("*" = any), "fault", "count", "delay", "act"}
    GET    /_sandbox/faults   what is armed
    DELETE /_sandbox/faults   disarm everything
    POST   /_sandbox/reset    forget all state (faults too) and reload the test data
    POST   /_sandbox/config   {"provider", ...options} e.g. {"completion_delay": 0.2}
    GET    /_sandbox/callbacks?provider=NAME   callbacks sent so far

Faults: timeout (answer after ``delay`` s), 500 / 502 / 503, malformed (broken JSON),
slow (answer after ``delay`` s), dropped (read the whole request, then close the
connection without answering). With ``act`` the sandbox performs the operation
before failing (a timeout and a dropped connection act by default: the money moved but
the answer was lost; ``"act": false`` fails before acting).
"""

from __future__ import annotations

import html
import json
import logging
import threading
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from providers.base.sandbox import FAULT_KINDS, FaultRegistry, Sandbox, json_response
from providers.registry import PROVIDERS

logger = logging.getLogger("providers.sandbox")

PROVIDERS_DIR = Path(__file__).resolve().parent
CONTROL_CALLS = [
    ("GET", "/_sandbox/", "this list"),
    ("POST", "/_sandbox/faults", f"arm a fault: provider, operation, fault ({', '.join(FAULT_KINDS)}), "
                                 "count, delay, act"),
    ("GET", "/_sandbox/faults", "what is armed"),
    ("DELETE", "/_sandbox/faults", "disarm everything"),
    ("POST", "/_sandbox/reset", "back to the test data"),
    ("POST", "/_sandbox/config", "a sandbox's options: provider, then e.g. completion_delay"),
    ("GET", "/_sandbox/callbacks?provider=NAME", "callbacks sent so far"),
    ("GET", "/_sandbox/readme/NAME", "that provider's README (its test data)"),
]


class SandboxServer:
    def __init__(self, providers: list[str] | None = None) -> None:
        self.faults = FaultRegistry()
        self.sandboxes: dict[str, Sandbox] = {}
        for key in providers or list(PROVIDERS):
            spec = PROVIDERS[key]
            self.sandboxes[key] = spec.sandbox_class()(faults=self.faults)
        self._mounts = sorted(
            ((PROVIDERS[k].sandbox_prefix, s) for k, s in self.sandboxes.items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in ("", "/"):
            return self.index(Request(environ))(environ, start_response)
        if path.startswith("/_sandbox/readme/"):
            return self.readme(path.removeprefix("/_sandbox/readme/").strip("/"))(environ, start_response)
        if path.startswith("/_sandbox/"):
            return self.control(Request(environ))(environ, start_response)
        for prefix, app in self._mounts:
            if path == prefix or path.startswith(prefix + "/"):
                environ = dict(environ)
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix):] or "/"
                return app(environ, start_response)
        return json_response({"message": f"No sandbox at {path}"}, 404)(environ, start_response)

    def index(self, request: Request) -> Response:
        """What a newcomer opening the sandbox URL needs: which sandboxes run here, the
        base URL to give a connection, and where the test data (keys, phones, cards,
        amounts that trigger each error and fault) is written down."""
        server = request.host_url.rstrip("/")
        sandboxes = [
            {
                "provider": key,
                "label": PROVIDERS[key].label,
                "country": PROVIDERS[key].country,
                "currency": PROVIDERS[key].currency,
                "base_url": PROVIDERS[key].sandbox_url(server),
                "test_data": f"providers/{key}/README.md#test-data",
                "readme_url": f"{server}/_sandbox/readme/{key}",
            }
            for key in self.sandboxes
        ]
        if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
            return json_response({"sandboxes": sandboxes, "control": f"{server}/_sandbox/"})
        return Response(_index_html(sandboxes, server), mimetype="text/html")

    def readme(self, key: str) -> Response:
        if key not in self.sandboxes:
            return json_response({"message": f"No sandbox named {key!r}"}, 404)
        text = (PROVIDERS_DIR / key / "README.md").read_text(encoding="utf-8")
        return Response(text, mimetype="text/markdown")

    def reset(self) -> None:
        self.faults.reset()
        for sandbox in self.sandboxes.values():
            with sandbox.lock:
                sandbox.reset()

    def control(self, request: Request) -> Response:
        action = request.path.removeprefix("/_sandbox/").strip("/")
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            return json_response({"message": "body must be JSON"}, 400)
        if action == "" and request.method == "GET":
            server = request.host_url.rstrip("/")
            calls = [{"method": m, "url": server + path, "what": what} for m, path, what in CONTROL_CALLS]
            return json_response({"control": calls, "faults": list(FAULT_KINDS)})
        if action == "faults" and request.method == "POST":
            provider = body.get("provider")
            if provider not in self.sandboxes:
                return json_response({"message": f"unknown provider {provider!r}"}, 400)
            operation = body.get("operation", "*")
            known = self.sandboxes[provider].operations()
            if operation != "*" and operation not in known:
                return json_response(
                    {"message": f"unknown operation {operation!r}; one of: {', '.join(sorted(known))}"}, 400
                )
            try:
                self.faults.arm(
                    provider,
                    operation,
                    str(body.get("fault")),
                    count=int(body.get("count", 1)),
                    delay=float(body.get("delay", 3.0)),
                    act=body.get("act"),
                )
            except (TypeError, ValueError) as e:
                return json_response({"message": str(e)}, 400)
            return json_response({"armed": self.faults.armed()}, 201)
        if action == "faults" and request.method == "GET":
            return json_response({"armed": self.faults.armed()})
        if action == "faults" and request.method == "DELETE":
            self.faults.reset()
            return json_response({"armed": []})
        if action == "reset" and request.method == "POST":
            self.reset()
            return json_response({"reset": True})
        if action == "config" and request.method == "POST":
            sandbox = self.sandboxes.get(body.pop("provider", None))
            if sandbox is None:
                return json_response({"message": "unknown provider"}, 400)
            try:
                with sandbox.lock:
                    return json_response(sandbox.configure(body))
            except (TypeError, ValueError, KeyError) as e:
                return json_response({"message": f"bad config value: {e}"}, 400)
        if action == "callbacks" and request.method == "GET":
            sandbox = self.sandboxes.get(request.args.get("provider"))
            if sandbox is None:
                return json_response({"message": "unknown provider"}, 400)
            return json_response({"callbacks": list(sandbox.callbacks)})
        return json_response({"message": "unknown control call"}, 404)


def _index_html(sandboxes: list[dict], server: str) -> str:
    e = html.escape
    rows = "".join(
        f'<tr data-testid="sandbox-{e(s["provider"])}"><td>{e(s["label"])}</td>'
        f'<td>{e(s["country"])} · {e(s["currency"])}</td><td><code>{e(s["base_url"])}</code></td>'
        f'<td><a href="{e(s["readme_url"])}">{e(s["test_data"])}</a></td></tr>'
        for s in sandboxes
    )
    calls = "".join(
        f"<tr><td><code>{e(method)}</code></td><td><code>{e(server + path)}</code></td><td>{e(what)}</td></tr>"
        for method, path, what in CONTROL_CALLS
    )
    return _INDEX_PAGE.format(rows=rows, calls=calls, count=len(sandboxes))


_INDEX_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Paydesk sandboxes</title>
<style>
body {{ margin:2rem; font:15px/1.5 system-ui,sans-serif; color:#1d2430; background:#f7f8fa; }}
table {{ border-collapse:collapse; background:#fff; margin-bottom:1.5rem; }}
th, td {{ text-align:left; padding:.45rem .7rem; border-bottom:1px solid #e4e7ec; }}
th {{ font-size:.8rem; color:#667085; }} code {{ font:13px ui-monospace,monospace; }} a {{ color:#2f5bea; }}
</style></head>
<body>
<h1>Paydesk sandboxes</h1>
<p>{count} local provider sandboxes with in-memory state. Give a connection the base URL
below; the keys, phones, cards and amounts that trigger each documented error and fault
are in the provider's README, section <em>Test data</em>.</p>
<table><thead><tr><th>Provider</th><th>Country · currency</th><th>Base URL</th><th>Test data</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>Control API</h2>
<table><thead><tr><th>Method</th><th>URL</th><th>What</th></tr></thead><tbody>{calls}</tbody></table>
</body></html>
"""


class RunningSandbox:
    """The sandbox server in a background thread (tests, and `runsandbox`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, providers: list[str] | None = None) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise
        self.app = SandboxServer(providers)
        self.server = make_server(host, port, self.app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> RunningSandbox:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def base_url(self, provider: str) -> str:
        return PROVIDERS[provider].sandbox_url(self.url)

    def sandbox(self, provider: str) -> Sandbox:
        return self.app.sandboxes[provider]
