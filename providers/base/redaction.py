"""One redacting layer for everything that leaves a process as text.

Two nets, because one is not enough:
- ``redact_mapping`` masks values by key (headers and JSON bodies) before they are
  formatted into a log line or an error;
- ``scrub`` removes known secret values and anything that looks like a PAN, an API
  key or a bearer/JWT token from any text. ``RedactingFilter`` applies it to every log
  record, so a careless ``logger.info(body)`` elsewhere still cannot leak.

A PAN may be shown as first six / last four at most (``mask_pan``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping

MASK = "[redacted]"

# Keys whose values are always secret, compared case-insensitively with "-" as "_".
SENSITIVE_KEYS = frozenset(
    {
        "x_api_key", "api_key", "apikey", "x_hash", "hash", "authorization", "token",
        "accesstoken", "access_token", "secret", "secret_key", "secretkey", "secretKey",
        "accesskey", "access_key", "merchantaccesskey", "password", "user_password",
        "current_password", "new_password", "pan", "ipin", "cvv", "cvc", "otp", "user_otp",
        "pin", "card_number", "cardnumber", "test_secret_key", "live_secret_key",
        "admin_key", "checksum", "expiry_date", "expirydate", "expiration_date",
    }
)


def _norm(key: str) -> str:
    return key.lower().replace("-", "_")


_SENSITIVE = frozenset(_norm(k) for k in SENSITIVE_KEYS)


def is_sensitive_key(key: object, extra: Iterable[str] = ()) -> bool:
    return isinstance(key, str) and (_norm(key) in _SENSITIVE or _norm(key) in {_norm(e) for e in extra})


def redact_mapping(value: object, extra_keys: Iterable[str] = ()) -> object:
    """A copy of ``value`` (dicts and lists, nested) with sensitive keys masked."""
    extra = tuple(extra_keys)
    if isinstance(value, Mapping):
        return {
            k: (MASK if is_sensitive_key(k, extra) and v not in (None, "") else redact_mapping(v, extra))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_mapping(v, extra) for v in value]
    return value


def mask_pan(pan: str) -> str:
    """First six and last four digits at most; shorter numbers keep only the last four."""
    digits = re.sub(r"\D", "", pan or "")
    if len(digits) >= 13:
        return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"
    return f"****{digits[-4:]}" if len(digits) > 4 else "****"


def mask_secret(value: str | None) -> str:
    """At most the last four characters of a secret, and only if it is long enough."""
    if not value:
        return ""
    return f"••••{value[-4:]}" if len(value) >= 12 else "••••"


# A 13-19 digit run (optionally grouped by spaces or dashes) that is not part of a longer
# number: a card number. Masked to first six / last four.
_PAN_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
_PATTERNS = [
    # EoneoPay-style keys: sk_test_..., pk_live_...
    (re.compile(r"\b([sp]k_(?:test|live)_)[A-Za-z0-9]{4,}"), r"\1" + MASK),
    # Bearer / JWT authorization values
    (re.compile(r"(?i)\b(bearer|jwt|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    # Bare JWTs
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), MASK),
]


class _SecretRegistry:
    """Long-lived secret values (connection credentials) known to this process, so the
    logging filter can scrub them wherever they show up. Bounded: the oldest values are
    forgotten first. Per-request secrets (OTPs, PANs, passwords) stay with the client
    that sent them and are not registered here."""

    MAX_VALUES = 2000

    def __init__(self) -> None:
        self._values: dict[str, None] = {}  # insertion-ordered set
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str | None) -> None:
        fresh = [v for v in values if isinstance(v, str) and len(v) >= 4 and v not in self._values]
        if fresh:
            with self._lock:
                for value in fresh:
                    self._values[value] = None
                while len(self._values) > self.MAX_VALUES:
                    self._values.pop(next(iter(self._values)))
                self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._values:
            with self._lock:
                alternatives = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))
        return self._pattern


secrets_registry = _SecretRegistry()


def register_secrets(*values: str | None) -> None:
    secrets_registry.add(*values)


def scrub(text: str, extra_values: Iterable[str | None] = ()) -> str:
    """Remove secrets, PANs, API keys and tokens from free text."""
    if not text:
        return text
    for value in sorted((v for v in extra_values if v and len(v) >= 4), key=len, reverse=True):
        if len(value) < 8 and value.isalnum():
            # A short value (an OTP, a PIN) only where it stands alone, so that it does
            # not mangle longer numbers that happen to contain it.
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", MASK, text)
        else:
            text = text.replace(value, MASK)
    pattern = secrets_registry.pattern()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return _PAN_RE.sub(_mask_if_card_number, text)


def _mask_if_card_number(match: re.Match[str]) -> str:
    """Only a Luhn-valid run is a card number: timestamps and ids stay readable."""
    digits = re.sub(r"\D", "", match.group(0))
    return mask_pan(digits) if luhn_valid(digits) else match.group(0)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


class RedactingFilter(logging.Filter):
    """Scrubs the fully formatted message (and any exception text) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True
