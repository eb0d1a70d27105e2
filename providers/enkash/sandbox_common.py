"""Shared pieces of the EnKash sandbox: constants, the failure exception, the
authenticated-call decorator and small parsers."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from werkzeug.wrappers import Request

from providers.enkash import codes

IST = timezone(timedelta(hours=5, minutes=30), "IST")
PAISE = Decimal("0.01")
ORDER_ID_RE = re.compile(r"^[A-Za-z0-9]{1,40}$")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE_RE = re.compile(r"^(?:\+91)?[6-9]\d{9}$")
URL_RE = re.compile(r"^https?://\S+$")
VPA_RE = re.compile(r"^[A-Za-z0-9._-]{2,256}@[A-Za-z]{2,64}$")
IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
CARD_MODES = ("CREDIT_CARD", "DEBIT_CARD", "PREPAID_CARD", "CORPORATE_CARD")
PAYMENT_MODES = (*CARD_MODES, "NET_BANKING", "UPI", "PAY_LATER", "WALLET")
PAID = ("SUCCESS", "PARTIALLY_REFUNDED", "REFUNDED")
PAYABLE = ("CREATED", "CHECKOUT_RENDERED", "ATTEMPTED")
PAYOUT_ORDERING = {"payoutDate": "payoutDate", "createdAt": "createdAt", "settlementAmount": "settlementAmount"}


class Reject(Exception):
    """A failure answer in EnKash's envelope, raised from anywhere in a handler."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def api(fn):
    """An authenticated EnKash call: advance due transitions, check the token, answer
    failures in the envelope."""

    @functools.wraps(fn)
    def handler(self, request: Request, **values):
        self._advance()
        try:
            return fn(self, request, self._authenticate(request), **values)
        except Reject as r:
            return self._fail(r.code, r.message)

    return handler


def parse_money(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Reject(codes.INVALID_REQUEST, f"{what} must be a decimal amount.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Reject(codes.INVALID_REQUEST, f"{what} must be a decimal amount.") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or amount < PAISE:
        raise Reject(codes.INVALID_REQUEST, f"{what} must be at least 0.01 with at most two decimals.")
    return amount.quantize(PAISE)


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, IST).isoformat(timespec="seconds")


def rupees(amount: Decimal) -> str:
    return f"{amount.quantize(PAISE):.2f}"


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def text_field(body: dict, key: str, *, required: bool = True, max_length: int = 255) -> str | None:
    value = body.get(key)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise Reject(codes.INVALID_REQUEST, f"{key} is required (text of at most {max_length} characters).")
    return value.strip()
