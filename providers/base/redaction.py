"""One redacting layer for everything that leaves a process as text.

Two nets, because one is not enough:
- ``redact_mapping`` masks values by key (headers and JSON bodies) before they are
  formatted into a log line or an error;
- ``scrub`` removes known secret values and anything that looks like a PAN, an API
  key, a bearer/JWT token or a callback URL's token from any text. ``RedactingFilter``
  applies it to every log record, so a careless ``logger.info(body)`` elsewhere (or
  Django's "Not Found: /callbacks/<provider>/<token>/") still cannot leak.

What counts as secret, by key (``is_sensitive_key``): credentials, tokens, passwords and
access codes, PAN, CVV, IPIN, PIN (and PIN blocks), OTP and card expiry. Keys are
looked up both as written (lower-case, "-" as "_") and with camelCase split to snake_case,
so ``cardExpiry``, ``card-expiry`` and ``card_expiry`` are one key and ``expMonth``
matches ``exp_month``. A key *ending* in one of the secret
words (``newPassword``, ``refresh_token``, ``sms_otp``, ``card_cvv``, ``ipinBlock``)
counts too.

Personal data, by key (``is_personal_key``): a customer's name, email, postal address,
birth date and national id (NIK) are masked in log lines, and a phone number keeps only
its last four digits, enough to tell two customers apart in a support case. Only log
lines are masked this way (``redact_mapping``); a stored callback keeps them, as staff
need them to answer the customer. ``username`` is a login handle at the merchant, not a
name, and stays readable; so do ``bank_name``, ``qrName`` and other names of things.

Short secret values (under eight characters: a PIN, a numeric key) are masked only
where they stand alone, never inside a longer number: a registered secret ``4000`` must
not turn an HTTP ``400`` answer, ``"response_code": 40001``, ``14000 ms`` or an amount
``4000.50`` into ``[redacted]``. Digit runs are masked as card numbers only when they are
one Luhn-valid group of 13 to 19 digits, not a slice of a longer grouped number (an IBAN).

A PAN may be shown as first six / last four at most (``mask_pan``).
"""

from __future__ import annotations

import functools
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
        "expiry", "card_expiry", "expiry_month", "expiry_year", "exp_month", "exp_year",
        "cvv2", "cvc2", "access_code", "passcode", "mpin", "cookie", "set_cookie",
        "proxy_authorization", "exp_date", "otp_code", "security_code", "pin_block", "ipin_block",
    }
)
# A key ending in one of these (compared without "_") is secret as well.
_SENSITIVE_SUFFIXES = (
    "password", "passwd", "secret", "secretkey", "token", "otp", "ipin", "cvv", "cvc", "pin", "accesscode",
    "expiry", "expmonth", "expyear", "expdate", "otpcode", "securitycode", "pinblock",
)

PERSONAL_KEYS = frozenset(
    {
        "name", "firstname", "first_name", "lastname", "last_name", "fullname", "full_name",
        "middle_name", "displayname", "display_name", "user_name", "customer_name",
        "customername", "owner_name", "ownername", "holder_name", "holdername",
        "cardholdername", "card_holder_name", "account_holder_name", "accountholdername",
        "beneficiary_name", "beneficiaryname", "customer_iban_name", "dateofbirth",
        "date_of_birth", "birth_date", "birthdate", "dob", "nik",
    }
)
_PERSONAL_SUFFIXES = ("email", "address")
_PHONE_SUFFIXES = ("phone", "mobile", "phonenumber", "mobilenumber", "mobileno", "msisdn")


_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _norm(key: str) -> str:
    return key.lower().replace("-", "_")


def _snake(key: str) -> str:
    """snake_case: ``cardExpiry`` → ``card_expiry``, ``APIKey`` → ``api_key``."""
    return _norm(_CAMEL_RE.sub("_", key))


def _forms(key: str) -> set[str]:
    """The forms a key is looked up in the lists by: as written (lower-case, "-" as "_"),
    and camelCase split to snake_case. Underscores are not dropped for whole keys:
    ``username`` (a login handle) is not ``user_name`` (a person's name)."""
    return {_norm(key), _snake(key)}


_SENSITIVE = frozenset(_norm(k) for k in SENSITIVE_KEYS)


_PERSONAL = frozenset(_norm(k) for k in PERSONAL_KEYS)


def _compact(key: str) -> str:
    return _snake(key).replace("_", "")


def is_sensitive_key(key: object, extra: Iterable[str] = ()) -> bool:
    """A secret by its key: credentials, tokens, passwords, card data, OTPs."""
    if not isinstance(key, str):
        return False
    forms = _forms(key)
    return (
        bool(forms & _SENSITIVE)
        or _compact(key).endswith(_SENSITIVE_SUFFIXES)
        or bool(forms & {_norm(e) for e in extra} | forms & {_snake(e) for e in extra})
    )


def is_personal_key(key: object) -> bool:
    """A customer's personal data by its key (names, email, address, phone, birth date)."""
    if not isinstance(key, str):
        return False
    return bool(_forms(key) & _PERSONAL) or _compact(key).endswith(_PERSONAL_SUFFIXES + _PHONE_SUFFIXES)


def mask_phone(value: object) -> str:
    """The last four digits of a phone number, for telling customers apart."""
    digits = re.sub(r"\D", "", str(value))
    return f"••••{digits[-4:]}" if len(digits) > 6 else "••••"


def redact_mapping(value: object, extra_keys: Iterable[str] = (), *, personal: bool = True) -> object:
    """A copy of ``value`` (dicts and lists, nested) with sensitive keys masked, and with
    personal data masked too unless ``personal`` is false."""
    extra = tuple(extra_keys)
    if isinstance(value, Mapping):
        return {k: _redacted_value(k, v, extra, personal) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_mapping(v, extra, personal=personal) for v in value]
    return value


def _redacted_value(key: object, value: object, extra: tuple[str, ...], personal: bool) -> object:
    if value in (None, ""):
        return value
    if is_sensitive_key(key, extra):
        return MASK
    if personal and is_personal_key(key):
        phone = _compact(str(key)).endswith(_PHONE_SUFFIXES) and not isinstance(value, Mapping | list | tuple)
        return mask_phone(value) if phone else MASK
    return redact_mapping(value, extra, personal=personal)


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


# /callbacks/<provider>/<token>/ (see config/urls.py), the token group to be masked.
CALLBACK_PATH_RE = re.compile(r"(/callbacks/[\w-]+/)(?!\[redacted\])[^/\s?#\"'<>]+")
# /accounts/password/set/<uidb64>/<token>/, an invited user's set-password link (Django's
# password-reset confirmation): the token sets the password. Django moves it into the
# session and redirects to .../set-password/, which is no secret and stays readable.
PASSWORD_SET_PATH_RE = re.compile(r"(/accounts/password/set/[\w-]+/)(?!\[redacted\]|set-password/)[^/\s?#\"'<>]+")

# A 13-19 digit run (optionally grouped by spaces or dashes) that is not part of a longer
# number: a card number. Masked to first six / last four.
# Neither end may touch another digit group ("TR33 0006 1005 ..." is an IBAN, not a PAN).
_PAN_RE = re.compile(r"(?<!\d)(?<!\d[ -])(?:\d[ -]?){12,18}\d(?![ -]?\d)")
_PATTERNS = [
    # EoneoPay-style keys: sk_test_..., pk_live_...
    (re.compile(r"\b([sp]k_(?:test|live)_)[A-Za-z0-9]{4,}"), r"\1" + MASK),
    # Bearer / JWT authorization values
    (re.compile(r"(?i)\b(bearer|jwt|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    # Bare JWTs
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), MASK),
    # The token of a callback URL: it is all that guards the URL (Django's request logger
    # writes the path of every 404 and 405).
    (CALLBACK_PATH_RE, r"\1" + MASK),
    (PASSWORD_SET_PATH_RE, r"\1" + MASK),
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
                self._pattern = re.compile("|".join(_secret_pattern(v) for v in alternatives))
        return self._pattern


secrets_registry = _SecretRegistry()

# Not touching a letter or digit, nor a digit across a decimal point or comma.
_ALONE_BEFORE = r"(?<![A-Za-z0-9])(?<!\d[.,])"
_ALONE_AFTER = r"(?![A-Za-z0-9])(?![.,]\d)"


@functools.lru_cache(maxsize=256)
def _values_pattern(values: tuple[str, ...]) -> re.Pattern:
    # A client's secrets are the same call after call: compiled once, not looked up in
    # re's cache by a pattern rebuilt each time (bounded; the values are already held
    # process-wide by the registry).
    return re.compile("|".join(_secret_pattern(v) for v in values))


def _secret_pattern(value: str) -> str:
    """A short value (an OTP, a PIN, a numeric key) only where it stands alone, so that it
    does not mangle the longer numbers (status codes, amounts, timings) that contain it."""
    if len(value) < 8 and value.isalnum():
        return f"{_ALONE_BEFORE}{re.escape(value)}{_ALONE_AFTER}"
    return re.escape(value)


def register_secrets(*values: str | None) -> None:
    secrets_registry.add(*values)


def scrub(text: str, extra_values: Iterable[str | None] = ()) -> str:
    """Remove secrets, PANs, API keys and tokens from free text."""
    if not text:
        return text
    values = tuple(sorted({v for v in extra_values if v and len(v) >= 4}, key=len, reverse=True))
    if values:
        text = _values_pattern(values).sub(MASK, text)
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


# -- bodies of text as a whole (stored callbacks) ------------------------------------
_JSON_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_SCALAR_RE = re.compile(r"[^,}\]\s]*")
_FORM_RE = re.compile(r"[^=&\s]+=[^&]*(?:&[^=&\s]+=[^&]*)*")


def redact_text_body(text: str, *, secret_values: Iterable[str | None] = ()) -> str:
    """``text`` (a request body) with the values of secret keys masked, whether it is
    JSON or form fields (whose values may hold JSON, as EoneoPay's do), then scrubbed.
    Anything else is left as it is but for ``scrub``. Personal data is kept: this is for
    what staff see of a callback, not for log lines."""
    form = _FORM_RE.fullmatch(text.strip())
    return scrub(_redact_form(text.strip()) if form else _redact_json_keys(text), secret_values)


# Bodies repeat their keys delivery after delivery; the check is a pure function of the
# name (bounded: a body of made-up keys only turns the cache over).
_sensitive_name = functools.lru_cache(maxsize=4096)(is_sensitive_key)


def _redact_form(text: str) -> str:
    """Fields shown decoded (readable), "%" and "&" in them re-escaped (unambiguous)."""
    from urllib.parse import unquote_plus

    shown = []
    for field in text.split("&"):
        name, _, value = field.partition("=")
        name, value = unquote_plus(name), unquote_plus(value)
        value = MASK if _sensitive_name(name) and value else _redact_json_keys(value)
        shown.append(f"{_form_escape(name)}={_form_escape(value)}")
    return "&".join(shown)


def _form_escape(text: str) -> str:
    return text.replace("%", "%25").replace("&", "%26")


def _redact_json_keys(text: str) -> str:
    """Masks the value of each ``"key": value`` whose key is secret, keeping the rest of
    the text exactly as it was (number formats, spacing, key order). Works on any text,
    so a body that is not quite JSON is still masked where it can be."""
    out, pos = [], 0
    for name, start in _json_keys(text):
        if start < pos or not _sensitive_name(name):
            continue  # (a key inside a value already masked, or not a secret)
        end = _json_value_end(text, start)
        if text[start:end] not in ("", "null", '""'):
            out += [text[pos:start], f'"{MASK}"']
            pos = end
    out.append(text[pos:])
    return "".join(out)


def _json_keys(text: str):
    """(name, where its value starts) of each string followed by ``:``. Strings are
    matched from the left, so a quote inside a value is never taken for a key."""
    pos = text.find('"')
    while pos != -1:
        match = _JSON_STRING_RE.match(text, pos)
        if match is None:
            return
        after = _skip_space(text, match.end())
        if text.startswith(":", after):
            yield match.group(0)[1:-1], _skip_space(text, after + 1)
        pos = text.find('"', match.end())


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _json_value_end(text: str, start: int) -> int:
    if start >= len(text):
        return start
    if text[start] == '"':
        match = _JSON_STRING_RE.match(text, start)
        return match.end() if match else len(text)
    if text[start] in "{[":
        depth, pos = 0, start
        while pos < len(text):
            char = text[pos]
            if char == '"':
                match = _JSON_STRING_RE.match(text, pos)
                pos = match.end() if match else len(text)
                continue
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
        return len(text)
    return _JSON_SCALAR_RE.match(text, start).end()


class RedactingFilter(logging.Filter):
    """Scrubs the fully formatted message (and any exception text) of every record.
    Django's request logger also attaches the request itself (for handlers such as
    ``AdminEmailHandler``, which would print its path): a callback request is taken off
    the record, as its path holds the URL's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        request = getattr(record, "request", None)
        if request is not None and CALLBACK_PATH_RE.search(str(getattr(request, "path", ""))):
            record.request = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True
