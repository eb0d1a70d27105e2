"""The base every provider client builds on: the only place that does HTTP.

Policy, in one place:
- every call has a connect and a read timeout;
- a call is retried, with capped and jittered exponential backoff, only when a repeat
  is safe: a GET (or a call the client marks ``safe``), or any call that never reached
  the upstream (the connection could not be opened);
- a call that may move money (``moves_money=True``) is never re-sent unless it is also
  ``safe`` (an idempotency key the upstream honours). Only an answer that *proves* the
  upstream did nothing is a plain error: the operation's documented refusals, and the
  statuses in ``MONEY_NOT_ACTED`` (4xx that refuse a request before acting on it, and
  503). Every other answer raises ``ProviderOutcomeUnknown``: a read timeout, a
  connection dropped after the request went out, an undocumented 2xx (a 201 or 202 on
  a call documented as 200), any 3xx, 408, 409, a 5xx other than 503, an unreadable
  body on a 2xx. The caller records it as unknown and asks the provider's status call;
- every request and answer is logged once, through the redacting layer; text is
  scrubbed before it is cut to length, so a secret straddling the cut cannot escape.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from providers.base import errors
from providers.base.exactjson import dumps as exact_dumps
from providers.base.exactjson import loads as load_json
from providers.base.redaction import redact_mapping, register_secrets, scrub

logger = logging.getLogger("providers.http")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.05
    read: float = 15.0

    @classmethod
    def from_settings(cls) -> Timeouts:
        from django.conf import settings

        return cls(connect=settings.PROVIDER_CONNECT_TIMEOUT, read=settings.PROVIDER_READ_TIMEOUT)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0

    def delay(self, attempt: int) -> float:
        """Full jitter: a random wait up to the capped exponential step."""
        return random.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


NO_RETRY = RetryPolicy(attempts=1)


# Called with the IP address a new socket has just connected to, before a byte is sent;
# raises (an OSError, so the call ends as "could not connect": nothing was sent) to refuse it.
PeerCheck = Callable[[str], None]


def build_session(pool_size: int = 10, *, peer_check: PeerCheck | None = None) -> requests.Session:
    """A pooled session; retries are ours (see module docstring), not urllib3's.
    ``peer_check`` vets every new connection's actual peer address: a host name checked
    when the connection was saved may resolve elsewhere by now (DNS rebinding)."""
    session = requests.Session()
    # Paydesk never routes provider calls through proxies from the environment, nor takes
    # credentials from ~/.netrc: a connection's URL is all a call uses. Reading them
    # (trust_env) cost about 10% of a sync worker's CPU, on every call. Also ignored with
    # it: REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (certificates are checked against certifi's
    # bundle) and HTTPS_PROXY (an egress proxy would need configuring here).
    session.trust_env = False
    adapter_class = HTTPAdapter if peer_check is None else _PeerCheckingAdapter
    options = {} if peer_check is None else {"peer_check": peer_check}
    adapter = adapter_class(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0, **options)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _peer_checked(connection_class: type, check: PeerCheck) -> type:
    class PeerCheckedConnection(connection_class):
        def _new_conn(self):
            sock = super()._new_conn()
            try:
                check(sock.getpeername()[0])
            except BaseException:
                sock.close()
                raise
            return sock

    return PeerCheckedConnection


class _PeerCheckingAdapter(HTTPAdapter):
    def __init__(self, *, peer_check: PeerCheck, **options: Any) -> None:
        self._peer_check = peer_check
        super().__init__(**options)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        check = self._peer_check
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PeerCheckedHTTPPool", (HTTPConnectionPool,),
                         {"ConnectionCls": _peer_checked(HTTPConnection, check)}),
            "https": type("PeerCheckedHTTPSPool", (HTTPSConnectionPool,),
                          {"ConnectionCls": _peer_checked(HTTPSConnection, check)}),
        }


@dataclass(frozen=True)
class Reply:
    """An upstream answer: status, headers and the body parsed as JSON (None if empty)."""

    status: int
    body: Any
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default) if isinstance(self.body, dict) else default


# What an answer to a money-moving call proves, when the operation does not document it.
# Only the statuses listed here prove the upstream did not act; every other status (an
# undocumented 2xx, 3xx, 408, 409, 5xx other than 503, anything unlisted) leaves the
# outcome unknown. Check new entries against RFC 9110 section 15 and the provider docs:
# a status belongs here only if a server sends it *before* running the operation.
MONEY_NOT_ACTED: Mapping[int, str] = {
    400: "Bad Request: the request was refused as malformed",
    401: "Unauthorized: the credentials were refused",
    403: "Forbidden: the caller may not do this",
    404: "Not Found: there is nothing to act on at this path",
    405: "Method Not Allowed: no handler for this method ran",
    410: "Gone: the target no longer exists",
    411: "Length Required: the body was not read",
    413: "Content Too Large: the body was not read",
    414: "URI Too Long: the request was not routed",
    415: "Unsupported Media Type: the body was not parsed",
    422: "Unprocessable Content: the fields failed validation",
    429: "Too Many Requests: throttled before processing",
    431: "Request Header Fields Too Large: the request was not routed",
    503: "Service Unavailable: the upstream is not taking requests",
}


# What a documented non-success status means for one operation: the error class, a
# stable code and a plain sentence; or a callable deciding from the whole reply.
ErrorSpec = tuple[type[errors.ProviderError], str, str] | Callable[[Reply], errors.ProviderError | None]


class ProviderClient:
    """Subclasses set ``provider``, implement ``_auth`` and their operations."""

    provider: ClassVar[str] = "provider"
    currency: ClassVar[str] = ""
    # Body keys a subclass wants masked in logs on top of the shared list.
    redact_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        base_url: str,
        session: requests.Session | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or build_session()
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self._secrets: list[str] = []

    # -- hooks -------------------------------------------------------------------------
    @classmethod
    def credentials_mode(cls, credentials: Mapping[str, str]) -> str | None:
        """"test" or "live" when the credentials themselves say which (EoneoPay's key
        prefixes); None when they do not."""
        return None

    def _auth(self, operation: str) -> dict[str, Any]:
        """Extra ``requests`` arguments for authentication (headers, auth)."""
        return {}

    def _error_from_reply(self, reply: Reply, operation: str) -> errors.ProviderError:
        """The error for an undocumented non-success status. Subclasses may refine."""
        message = self._upstream_message(reply)
        kwargs = dict(
            provider=self.provider,
            operation=operation,
            http_status=reply.status,
            upstream_message=message,
        )
        if reply.status in (401, 403):
            return errors.ProviderAuthenticationError(**kwargs)
        if reply.status == 429:
            return errors.ProviderUnavailable(
                "The payment provider is rate limiting requests. Please try again shortly.",
                code="rate_limited",
                **kwargs,
            )
        if reply.status >= 500:
            return errors.ProviderUnavailable(code=f"http_{reply.status}", **kwargs)
        text = f"The payment provider declined the request: {message}" if message else None
        return errors.ProviderRejected(text, code=f"http_{reply.status}", **kwargs)

    def _upstream_message(self, reply: Reply) -> str | None:
        body = reply.body
        if isinstance(body, dict):
            for key in ("message", "details", "detail", "response_message", "resultMessage", "error"):
                value = body.get(key)
                if value:
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    return scrub(text, self._secrets)[:500]
        return None

    # -- the one place that talks HTTP ---------------------------------------------------
    def add_secrets(self, *values: str | None) -> None:
        """Long-lived secrets (credentials): scrubbed from this client's logs and errors,
        and registered process-wide for the logging filter."""
        self.add_request_secrets(*values)
        register_secrets(*values)

    def add_request_secrets(self, *values: str | None) -> None:
        """Per-request secrets (passwords, OTPs, PANs, IPINs, user tokens): scrubbed from
        this client's log lines and errors only, never kept process-wide."""
        for value in values:
            if value and value not in self._secrets:
                self._secrets.append(value)

    def _request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        ok: Iterable[int] = (200,),
        documented: Mapping[int, ErrorSpec] | None = None,
        safe: bool | None = None,
        moves_money: bool = False,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        sensitive: Iterable[str | None] = (),
        allow_empty: bool = False,
        shown_path: str | None = None,
    ) -> Reply:
        """One call. ``shown_path`` is what the log lines show instead of ``path`` when the
        path itself holds personal data (Vospay's ``/otp/{phone}``)."""
        method = method.upper()
        ok = frozenset(ok)
        documented = documented or {}
        safe = method in SAFE_METHODS if safe is None else safe
        self.add_request_secrets(*sensitive)
        url = f"{self.base_url}/{path.lstrip('/')}"
        shown_url = f"{self.base_url}/{shown_path.lstrip('/')}" if shown_path else url
        kwargs = self._auth(operation)
        all_headers = {"Accept": "application/json", **kwargs.pop("headers", {}), **(headers or {})}
        data: Any = form
        if json_body is not None:
            # Encoded here rather than by requests so that Decimal amounts go out as the
            # exact numbers they are (500.00, not 500.0 or an error).
            data = exact_dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if auth is not None:
            kwargs["auth"] = auth

        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=all_headers,
                    timeout=(self.timeouts.connect, self.timeouts.read),
                    # A redirect is an answer, never followed: following it would re-send
                    # auth headers (x-api-key, X-Hash...) to wherever Location points.
                    allow_redirects=False,
                    **kwargs,
                )
            except requests.RequestException as e:
                never_sent = isinstance(e, requests.ConnectTimeout) or (
                    isinstance(e, requests.ConnectionError) and _is_connect_failure(e)
                )
                self._log(method, shown_url, operation, None, started, json_body or form, error=type(e).__name__)
                if (safe or never_sent) and attempt + 1 < self.retry.attempts:
                    time.sleep(self.retry.delay(attempt))
                    attempt += 1
                    continue
                raise self._transport_error(e, operation, moves_money and not never_sent) from e

            reply = self._parse(response)
            self._log(method, shown_url, operation, reply, started, json_body or form)
            if reply.status in ok:
                if reply.body is _UNPARSEABLE or (reply.body is None and not allow_empty):
                    # Not retried, even when safe: a garbled answer means a broken
                    # upstream, and repeating the call only adds load to it.
                    raise self._unreadable(reply, operation, moves_money)
                return reply
            # A safe call is retried through any 5xx, documented or not; the documented
            # meaning applies to the answer that stands.
            if reply.status >= 500 and safe and attempt + 1 < self.retry.attempts:
                time.sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            if reply.status in documented:
                # A callable spec may decide this answer is not the documented one
                # (e.g. a bare 500 where a business 500 is documented).
                error = self._documented_error(documented[reply.status], reply, operation)
                if error is not None:
                    raise error
            break

        if moves_money and reply.status not in MONEY_NOT_ACTED:
            raise errors.ProviderOutcomeUnknown(
                provider=self.provider,
                operation=operation,
                http_status=reply.status,
                code=f"outcome_unknown_http_{reply.status}",
                upstream_message=self._upstream_message(reply),
            )
        raise self._error_from_reply(reply, operation)

    # -- helpers -------------------------------------------------------------------------
    def _documented_error(self, spec: ErrorSpec, reply: Reply, operation: str) -> errors.ProviderError | None:
        if callable(spec) and not isinstance(spec, tuple):
            return spec(reply)
        cls, code, message = spec
        return cls(
            message,
            provider=self.provider,
            operation=operation,
            http_status=reply.status,
            code=code,
            upstream_message=self._upstream_message(reply),
        )

    def error(self, cls: type[errors.ProviderError], operation: str, message: str | None = None, *,
              code: str | None = None, reply: Reply | None = None) -> errors.ProviderError:
        """Build an error of this provider (for checks a subclass makes on a 2xx body)."""
        return cls(
            message,
            provider=self.provider,
            operation=operation,
            http_status=reply.status if reply else None,
            code=code,
            upstream_message=self._upstream_message(reply) if reply else None,
        )

    def _result(self, operation: str, reply: Reply, build: Callable[[Any], Any], *, moves_money: bool = False) -> Any:
        """Turn a 2xx body into a typed result; a missing or mistyped field is an invalid
        response (or, after a call that may have moved money, an unknown outcome)."""
        from providers.base.money import InvalidAmount

        try:
            return build(reply.body)
        except (KeyError, TypeError, ValueError, AttributeError, InvalidAmount) as e:
            cls = errors.ProviderOutcomeUnknown if moves_money else errors.ProviderInvalidResponse
            raise cls(
                provider=self.provider, operation=operation, http_status=reply.status, code="unexpected_shape"
            ) from e

    def _parse(self, response: requests.Response) -> Reply:
        text = response.text
        if not text.strip():
            body = None
        else:
            try:
                # Numbers with a fraction become Decimal, never float: money stays exact.
                body = load_json(text)
            except ValueError:
                body = _UNPARSEABLE
        return Reply(status=response.status_code, body=body, text=text, headers=dict(response.headers))

    def _unreadable(self, reply: Reply, operation: str, moves_money: bool) -> errors.ProviderError:
        cls = errors.ProviderOutcomeUnknown if moves_money else errors.ProviderInvalidResponse
        return cls(
            provider=self.provider,
            operation=operation,
            http_status=reply.status,
            code="malformed_json" if reply.body is _UNPARSEABLE else "empty_body",
        )

    def _transport_error(self, e: requests.RequestException, operation: str, unknown: bool) -> errors.ProviderError:
        code = "timeout" if isinstance(e, requests.Timeout) else "connection_failed"
        if unknown:
            return errors.ProviderOutcomeUnknown(
                provider=self.provider, operation=operation, code=f"outcome_unknown_{code}"
            )
        message = (
            "The payment provider did not answer in time. Please try again shortly."
            if code == "timeout"
            else "Paydesk could not reach the payment provider. Please try again shortly."
        )
        return errors.ProviderUnavailable(message, provider=self.provider, operation=operation, code=code)

    def _log(self, method, url, operation, reply, started, body, error=None) -> None:
        # The masked strings cost about 0.18 ms per call: build them only for a line
        # that will be written.
        if not logger.isEnabledFor(logging.WARNING if reply is None else logging.INFO):
            return
        elapsed_ms = (time.monotonic() - started) * 1000
        shown_body = redact_mapping(body, self.redact_keys) if isinstance(body, dict) else body
        if reply is None:
            logger.warning(
                "%s %s %s %s failed: %s (%.0f ms) body=%s",
                self.provider, operation, method, scrub(url, self._secrets), error, elapsed_ms,
                scrub(str(shown_body), self._secrets),
            )
            return
        answer = redact_mapping(reply.body, self.redact_keys) if reply.body is not _UNPARSEABLE else "<malformed>"
        logger.info(
            "%s %s %s %s -> %s (%.0f ms) body=%s answer=%s",
            self.provider, operation, method, scrub(url, self._secrets), reply.status, elapsed_ms,
            # Scrubbed, then cut: cutting first could split a secret or a PAN so that
            # the half left in the line no longer matches what scrub looks for.
            scrub(str(shown_body), self._secrets), scrub(str(answer), self._secrets)[:1000],
        )


class _Unparseable:
    def __repr__(self) -> str:
        return "<unparseable>"


_UNPARSEABLE: Any = _Unparseable()


def _is_connect_failure(e: requests.ConnectionError) -> bool:
    """True when the TCP connection was never established (refused, DNS), so the
    upstream cannot have seen the request."""
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    reason = e.args[0] if e.args else None
    inner = getattr(reason, "reason", reason)
    return isinstance(inner, NewConnectionError | NameResolutionError)
