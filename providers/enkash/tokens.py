"""Where EnKash session tokens are kept between calls.

A token belongs to one connection (base URL + access key + secret key). Paydesk builds a
new client for each piece of work but keeps one pooled HTTP session per connection for
the life of the process (``providers.services``), so the token is cached *on that
session*: it lives exactly as long as the connection's pool, and a changed secret (which
also replaces the session) can never reuse an old token. Tests and scripts that build a
fresh session start with no token.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from dataclasses import dataclass, field

import requests

from providers.enkash.types import AuthorizationToken

# Renew this long before EnKash's expiry, so a token never expires in flight; for very
# short-lived tokens (the sandbox can issue them), a fifth of their life instead.
RENEW_MARGIN_SECONDS = 60.0


@dataclass
class TokenSlot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    token: AuthorizationToken | None = None
    issued_at: float = 0.0

    def fresh(self, now: float | None = None) -> bool:
        if self.token is None:
            return False
        now = time.time() if now is None else now
        expires = self.token.expires_at.timestamp()
        margin = min(RENEW_MARGIN_SECONDS, max(expires - self.issued_at, 0) / 5)
        return now < expires - margin

    def keep(self, token: AuthorizationToken) -> None:
        self.token, self.issued_at = token, time.time()

    def forget(self, token: AuthorizationToken | None) -> None:
        """Drop ``token`` unless another thread already replaced it."""
        if self.token is token:
            self.token = None


_slots: weakref.WeakKeyDictionary[requests.Session, dict[tuple[str, str, str], TokenSlot]] = (
    weakref.WeakKeyDictionary()
)
_slots_lock = threading.Lock()


def slot_for(session: requests.Session, base_url: str, access_key: str, secret_key: str) -> TokenSlot:
    key = (base_url, access_key, hashlib.sha256(secret_key.encode()).hexdigest())
    with _slots_lock:
        return _slots.setdefault(session, {}).setdefault(key, TokenSlot())
