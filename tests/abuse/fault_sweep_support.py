"""The fault sweep's machinery: which provider operations Paydesk's code can call (read
from the clients themselves), and a context that drives a route as a member or an API
key would. The table of (operation, route) lives in test_fault_sweep.py."""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.test import Client
from werkzeug.exceptions import HTTPException

from providers.base.client import SAFE_METHODS
from providers.registry import PROVIDERS

ROOT = Path(__file__).resolve().parents[2]
# Where Paydesk calls a provider client (everything but the providers' own client,
# sandbox and test data modules).
APP_DIRS = ("payments", "accounts", "providers", "config")


@dataclass(frozen=True)
class ClientOperation:
    provider: str
    operation: str  # the client method, named after the sandbox operation
    moves_money: bool
    # Re-sent by the client on a timeout, a dropped connection or a 5xx; None when the
    # client decides per call (``safe=<expression>``): the row then says which it is.
    safe: bool | None


def _literal(node) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def client_operations() -> dict[tuple[str, str], ClientOperation]:
    """Every operation a client sends (a ``_call`` / ``_request`` naming it), per
    provider, with whether it may move money and whether the client re-sends it. The
    name is the ``operation=`` literal or module constant, else the public method's name
    (the clients name their methods after the sandbox operations)."""
    found = {}
    for provider in PROVIDERS:
        tree = ast.parse((ROOT / "providers" / provider / "client.py").read_text())
        constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) for t in n.targets if isinstance(t, ast.Name)}
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                if fn.name == "check":  # the connection test, not an operation
                    continue
                for call in ast.walk(fn):
                    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                            and call.func.attr in ("_call", "_request")):
                        continue
                    kw = {k.arg: k.value for k in call.keywords}
                    named = kw.get("operation")
                    if isinstance(named, ast.Constant):
                        operation = named.value
                    elif isinstance(named, ast.Name) and named.id in constants:
                        operation = constants[named.id]
                    elif not fn.name.startswith("_"):
                        operation = fn.name
                    else:
                        continue  # a private wrapper passing its caller's operation on
                    method = str(_literal(call.args[0]) or "").upper() if call.args else ""
                    if "safe" not in kw:
                        safe = method in SAFE_METHODS
                    else:
                        safe = _literal(kw["safe"]) if isinstance(_literal(kw["safe"]), bool) else None
                    found[(provider, operation)] = ClientOperation(
                        provider, operation, _literal(kw.get("moves_money")) is True, safe)
                    break
    return found


def app_calls(name: str) -> list[str]:
    """The app modules (outside the providers' client/sandbox/testdata) that call ``.name(``."""
    pattern = re.compile(rf"\.{re.escape(name)}\(")
    hits = []
    for top in APP_DIRS:
        for path in (ROOT / top).rglob("*.py"):
            if path.parent.parent.name == "providers" and path.stem in ("client", "sandbox", "testdata"):
                continue
            if "migrations" in path.parts:
                continue
            if pattern.search(path.read_text()):
                hits.append(str(path.relative_to(ROOT)))
    return hits


def requests_for(sandbox, provider: str, operation: str) -> int:
    """How many requests the sandbox received for ``operation`` (its route endpoint)."""
    box = sandbox.sandbox(provider)
    adapter = box.url_map.bind("sandbox")
    count = 0
    for received in list(box.received):
        try:
            endpoint, _ = adapter.match(received.path, method=received.method)
        except HTTPException:
            continue
        count += endpoint == operation
    return count


@dataclass
class Ctx:
    """One sweep case: the sandbox, the merchant, its members and connections, and what
    the row's setup made (``data``)."""

    sandbox: Any
    merchant: Any
    members: dict
    connections: dict
    data: dict = field(default_factory=dict)

    def page(self, role: str = "manager") -> Client:
        client = Client()
        client.force_login(self.members[role])
        return client

    def api(self, role: str = "manager") -> Client:
        from tests.api.conftest import key_client

        return key_client(self.merchant, role)

    def api_post(self, path: str, body: dict | None = None, *, role: str = "manager", key: bool = True,
                 method: str = "post"):
        headers = {"Idempotency-Key": str(uuid.uuid4())} if key else {}
        return getattr(self.api(role), method)(path, body or {}, content_type="application/json", headers=headers)

    def conn(self, provider: str):
        return self.connections[provider]


@dataclass(frozen=True)
class Row:
    """One provider operation and how Paydesk reaches it.

    ``drive`` sends the request a member or an API client would (after ``setup``), and
    returns the final response (pages: redirects followed). ``records`` reads what the
    route stores: a list of (id, status) of the records this operation makes or changes.
    ``kind``: "money" (may move money), "write" (changes something, no money) or "read".
    Rows with no route name the task (``task``) or say why Paydesk never calls it."""

    provider: str
    operation: str
    route: str
    kind: str = "read"
    drive: Callable[[Ctx], Any] | None = None
    setup: Callable[[Ctx], None] = lambda ctx: None
    records: Callable[[Ctx], list] = lambda ctx: []
    task: str = ""
    not_called: str = ""
    # Faults after which the route may answer "done": the operation acted upstream, its
    # answer was lost, and the route read back what it made (then it must be stored once).
    recovers: tuple[str, ...] = ()
    safe: bool | None = None  # for an operation whose client decides per call
    # The route answers a provider outage with 502/503 and its message, by design: an
    # <img> source (plain text), or a self-service form shown again with the problem.
    outage_5xx: bool = False
    # The page it lands on reads the status back at once (EnKash's order page): an unknown
    # record may already be resolved to what the provider says, but it stays one record.
    reads_back: bool = False
    via: str = ""  # a second route for the same operation (a page next to the API): its id suffix
    notes: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.operation)

    @property
    def id(self) -> str:
        return f"{self.provider}-{self.operation}" + (f"-{self.via}" if self.via else "")
