"""Where EnKash session tokens are kept between calls.

A token belongs to one connection (base URL + access key + secret key). Two stores:

- ``TokenSlot`` (in-process): the token cached on the connection's pooled
  ``requests.Session``. What a client gets when nobody hands it a store (tests, scripts):
  a fresh session starts with no token.
- ``SharedTokenStore``: the token in a cache every web and Celery process sees (Paydesk
  hands one in, ``providers.services.enkash_token_store``, on a Django cache in the
  database or on Redis), so that *one* token per connection serves them all. Each
  process keeps a copy (a ``TokenSlot``) so that a call costs no cache read; when that
  copy nears its expiry, it reads the shared one, and only when that is missing or
  near its expiry too does it fetch a new one, under a lock held *in the cache* (an
  atomic ``add``): of several processes that find the token missing at once, one asks
  EnKash and the others wait for its answer. A lock whose holder died expires after
  ``LOCK_SECONDS``; a process that has waited ``WAIT_SECONDS`` fetches on its own
  (a second token is harmless, a stuck page is not).

The shared value is sealed (encrypted) by the caller's ``seal``/``unseal``: a session
token is a credential, and a database cache would otherwise keep it in clear.

This module imports nothing from Django: the cache is any object with ``get``, ``set``,
``add`` and ``delete`` (Django's cache API).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import requests

from providers.enkash.types import AuthorizationToken

# Renew this long before EnKash's expiry, so a token never expires in flight; for very
# short-lived tokens (the sandbox can issue them), a fifth of their life instead.
RENEW_MARGIN_SECONDS = 60.0
# How long a fetch may hold the shared lock, and how long another process waits for it.
LOCK_SECONDS = 30.0
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05

Issue = Callable[[], AuthorizationToken]


def _fresh(token: AuthorizationToken | None, issued_at: float, *, now: float | None = None,
           within: float = 0.0) -> bool:
    """Usable now and for ``within`` seconds more, keeping the renewal margin."""
    if token is None:
        return False
    now = time.time() if now is None else now
    expires = token.expires_at.timestamp()
    margin = min(RENEW_MARGIN_SECONDS, max(expires - issued_at, 0) / 5)
    return now + within < expires - margin


class TokenStore(Protocol):
    def obtain(self, issue: Issue, *, renew: bool = False, within: float = 0.0) -> AuthorizationToken: ...

    def forget(self, token: AuthorizationToken | None) -> None: ...


@dataclass
class TokenSlot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    token: AuthorizationToken | None = None
    issued_at: float = 0.0

    def fresh(self, now: float | None = None, within: float = 0.0) -> bool:
        return _fresh(self.token, self.issued_at, now=now, within=within)

    def keep(self, token: AuthorizationToken, issued_at: float | None = None) -> None:
        self.token, self.issued_at = token, time.time() if issued_at is None else issued_at

    def forget(self, token: AuthorizationToken | None) -> None:
        """Drop ``token`` unless another thread already replaced it."""
        if token is not None and self.token is not None and self.token.token == token.token:
            self.token = None

    def obtain(self, issue: Issue, *, renew: bool = False, within: float = 0.0) -> AuthorizationToken:
        with self.lock:
            if renew or not self.fresh(within=within):
                self.keep(issue())
            return self.token


_slots: weakref.WeakKeyDictionary[requests.Session, dict[tuple[str, str, str], TokenSlot]] = (
    weakref.WeakKeyDictionary()
)
_slots_lock = threading.Lock()


def connection_key(base_url: str, access_key: str, secret_key: str) -> str:
    """Names one connection's token without holding the secret."""
    return hashlib.sha256(f"{base_url}\n{access_key}\n{secret_key}".encode()).hexdigest()[:32]


def slot_for(session: requests.Session, base_url: str, access_key: str, secret_key: str) -> TokenSlot:
    key = (base_url, access_key, hashlib.sha256(secret_key.encode()).hexdigest())
    with _slots_lock:
        return _slots.setdefault(session, {}).setdefault(key, TokenSlot())


class Cache(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, timeout: float | None = None) -> None: ...

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool: ...

    def delete(self, key: str) -> Any: ...


# The process's copy of each shared token, by cache key.
_copies: dict[str, TokenSlot] = {}
_copies_lock = threading.Lock()


class SharedTokenStore:
    """One token per connection for every process (see the module docstring)."""

    def __init__(self, cache: Cache, key: str, *, seal: Callable[[dict], str], unseal: Callable[[str], dict]):
        self.cache, self.key, self.lock_key = cache, f"enkash-token:{key}", f"enkash-token-lock:{key}"
        self._seal, self._unseal = seal, unseal
        with _copies_lock:
            self._copy = _copies.setdefault(self.key, TokenSlot())

    def obtain(self, issue: Issue, *, renew: bool = False, within: float = 0.0) -> AuthorizationToken:
        """The token; fetched anew when missing, near expiry (or expiring ``within``
        seconds), or when ``renew`` asks for a new one whatever there is."""
        with self._copy.lock:
            if not renew and self._copy.fresh(within=within):
                return self._copy.token
            shared = self._read()
            if not renew and shared is not None and _fresh(*shared, within=within):
                self._copy.keep(*shared)
                return shared[0]
            stale = shared[0] if renew and shared is not None else None
            token, issued_at = self._fetch(issue, within=within, replacing=stale)
            self._copy.keep(token, issued_at)
            return token

    def forget(self, token: AuthorizationToken | None) -> None:
        """EnKash refused ``token``: drop it here and in the cache, unless already replaced."""
        if token is None:
            return
        self._copy.forget(token)
        shared = self._read()
        if shared is not None and shared[0].token == token.token:
            self.cache.delete(self.key)

    # -- the shared value and its lock ------------------------------------------------------
    def _fetch(self, issue: Issue, *, within: float, replacing: AuthorizationToken | None):
        owner = secrets.token_hex(8)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if self.cache.add(self.lock_key, owner, timeout=LOCK_SECONDS):
                try:
                    return self._fetch_holding_lock(issue, within=within, replacing=replacing)
                finally:
                    if self.cache.get(self.lock_key) == owner:
                        self.cache.delete(self.lock_key)
            time.sleep(POLL_SECONDS)
            shared = self._read()
            if shared is not None and _fresh(*shared, within=within) and not _same(shared[0], replacing):
                return shared
            if time.monotonic() > deadline:
                return self._store(issue())

    def _fetch_holding_lock(self, issue: Issue, *, within: float, replacing: AuthorizationToken | None):
        shared = self._read()  # another process may have fetched while this one waited
        if shared is not None and _fresh(*shared, within=within) and not _same(shared[0], replacing):
            return shared
        return self._store(issue())

    def _store(self, token: AuthorizationToken) -> tuple[AuthorizationToken, float]:
        issued_at = time.time()
        value = self._seal({"token": token.token, "expires_at": token.expires_at.timestamp(),
                            "issued_at": issued_at})
        self.cache.set(self.key, value, timeout=max(1.0, token.expires_at.timestamp() - issued_at))
        return token, issued_at

    def _read(self) -> tuple[AuthorizationToken, float] | None:
        value = self.cache.get(self.key)
        if not value:
            return None
        try:
            data = self._unseal(value)
            token = AuthorizationToken(token=data["token"],
                                       expires_at=datetime.fromtimestamp(data["expires_at"], tz=UTC))
            return token, float(data["issued_at"])
        except Exception:  # sealed under a key since removed, or not ours: fetch anew
            return None


def _same(token: AuthorizationToken, other: AuthorizationToken | None) -> bool:
    return other is not None and token.token == other.token
