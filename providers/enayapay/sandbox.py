"""EnayaPay sandbox: accounts with phone + OTP, passwords, tokens, and card balance
inquiries on a simulated EBS switch that decrypts the IPIN block.

Test data (the README has the full table): API key ``API_KEY``; OTP ``OTP_CODE`` for
every phone; pre-registered phones in ``USERS``; trigger phones ``PHONE_*``; cards in
``CARDS`` (all with IPIN ``IPIN``), trigger cards answer the EBS code in their name;
fixed tokens ``TOKEN_*``. Nothing here is real: PANs are in the unissued 9999 range.

The switch's key pair is fixed test data (``testdata.py``): the doc has no call that
publishes the key, so the sandbox publishes none either; its public half is the demo
connection's ``ipin_public_key`` credential (``DEMO_CREDENTIALS``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from werkzeug.wrappers import Request, Response

from providers.base.exactjson import dumps as exact_json  # Decimal → exact JSON number
from providers.base.sandbox import Sandbox, json_response, route
from providers.enayapay.testdata import IPIN_PRIVATE_KEY_PEM, IPIN_PUBLIC_KEY

API_KEY = "enaya_test_sandbox_key_5c1e9a7f"
OTP_CODE = "731904"
IPIN = "482615"  # six digits: see the README, "Test data"
MIN_PASSWORD = 8
MAX_IPIN_TRIES = 3
TOKEN_TTL = 24 * 3600.0


@dataclass
class User:
    name: str
    password: str
    active: bool


@dataclass
class Card:
    expiry: str  # YYMM
    balance: Decimal
    ipin: str = IPIN
    answer: int | None = None  # a trigger card answers this code once IPIN and expiry are right
    wrong_tries: int = 0
    blocked: bool = False


PHONE_ACTIVE = "249912000001"
PHONE_UNVERIFIED = "249912000002"
PHONE_REMOVED = "249912000099"  # not registered; TOKEN_REMOVED_USER was issued to it
PHONE_INVALID = "249900000406"  # register: 406 (so is any number not 2491/2499 + 8 digits)
PHONE_SMS_DOWN = "249900000502"  # register: 502 bad SMS gateway
PHONE_UNAVAILABLE = "249900000503"  # register, verify, login, reset password: 503

USERS = {
    PHONE_ACTIVE: User("Amna Osman", "Sandbox-Pass-1", active=True),
    PHONE_UNVERIFIED: User("Khalid Ibrahim", "Sandbox-Pass-2", active=False),
}

TOKEN_ACTIVE_USER = "sbx_token_249912000001_active"
TOKEN_EXPIRED = "sbx_token_249912000001_expired"
TOKEN_REMOVED_USER = "sbx_token_249912000099_removed"

CARD_OK = "9999010000000011"
CARD_EMPTY = "9999010000000029"
CARD_19_DIGITS = "9999010000000000036"
CARD_EXPIRED = "9999020000005548"  # its expiry, 2301, is in the past: 554
CARD_SWITCH_DOWN = "9999020000005027"  # 502 bad gateway
CARD_UNISSUED = "9999020000006017"  # passes Luhn, not issued: 601

# Trigger cards: 999902 000000 <code> <check digit>.
TRIGGER_CARDS = {
    51: "9999020000000515", 251: "9999020000002511", 355: "9999020000003550",
    338: "9999020000003386", 375: "9999020000003758", 541: "9999020000005415",
    543: "9999020000005431", 550: "9999020000005506", 536: "9999020000005365",
    196: "9999020000001968", 696: "9999020000006967", 412: "9999020000004129",
}

CARDS = {
    CARD_OK: Card("2812", Decimal("15250.75")),
    CARD_EMPTY: Card("2906", Decimal("0.00")),
    CARD_19_DIGITS: Card("3003", Decimal("250000")),
    CARD_EXPIRED: Card("2301", Decimal("900.00")),
    CARD_SWITCH_DOWN: Card("2812", Decimal("100.00"), answer=502),
    **{pan: Card("2812", Decimal("100.00"), answer=code) for code, pan in TRIGGER_CARDS.items()},
}

EBS_MESSAGES = {
    0: "Successful", 51: "INSUFFICIENT_FUNDS", 251: "INSUFFICIENT_FUNDS", 55: "INVALID_PIN",
    355: "INVALID_PIN", 338: "PIN_TRIES_EXCEEDED", 375: "PIN_TRIES_EXCEEDED", 554: "EXPIRED_CARD",
    541: "LOST_CARD", 543: "STOLEN_CARD", 550: "CLOSED_CARD", 536: "RESTRICTED_CARD",
    601: "INVALID_CARD", 602: "INVALID_EXPIRY_DATE", 196: "SYSTEM_ERROR", 696: "SYSTEM_ERROR",
    412: "INVALID_TRANSACTION",
}

DEMO_CREDENTIALS = {"api_key": API_KEY, "ipin_public_key": IPIN_PUBLIC_KEY}

TEST_SECRETS: tuple[str, ...] = (
    API_KEY, OTP_CODE, IPIN,
    *(user.password for user in USERS.values()),
    TOKEN_ACTIVE_USER, TOKEN_EXPIRED, TOKEN_REMOVED_USER,
    *CARDS, CARD_UNISSUED,
)

_PHONE = re.compile(r"249[19]\d{8}")
_EXPIRY = re.compile(r"\d{2}(0[1-9]|1[0-2])")
_UNAVAILABLE = {"details": "service not available"}


class _Refusal(Exception):
    """A documented refusal, raised by a check and answered by ``_answers``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _answers(handler: Callable[..., Response]) -> Callable[..., Response]:
    @functools.wraps(handler)
    def wrapper(self, request: Request, **values) -> Response:
        try:
            return handler(self, request, **values)
        except _Refusal as refusal:
            return refusal.response

    return wrapper


def luhn_ok(pan: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(pan)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return pan.isdigit() and total % 10 == 0


class EnayaPaySandbox(Sandbox):
    name = "enayapay"
    prefix = "/enayapay/api/v2.1"

    def __init__(self, faults=None) -> None:
        self._private_key = load_pem_private_key(IPIN_PRIVATE_KEY_PEM, password=None)
        self._signing_key = secrets.token_bytes(32)
        super().__init__(faults)

    def reset(self) -> None:
        super().reset()
        self.users = {phone: replace(user) for phone, user in USERS.items()}
        self.cards = {pan: replace(card) for pan, card in CARDS.items()}
        # token -> (phone, expires at as a Unix time)
        self.tokens: dict[str, tuple[str, float]] = {
            TOKEN_ACTIVE_USER: (PHONE_ACTIVE, float("inf")),
            TOKEN_EXPIRED: (PHONE_ACTIVE, 0.0),
            TOKEN_REMOVED_USER: (PHONE_REMOVED, float("inf")),
        }
        self.otps_sent: list[str] = []  # phones an OTP SMS went to
        self.seen_uuids: set[str] = set()
        self.service_unavailable = False
        self.token_ttl = TOKEN_TTL

    def configure(self, options: dict) -> dict:
        """``service_unavailable`` (every call answers 503), ``token_ttl`` (seconds)."""
        if "service_unavailable" in options:
            self.service_unavailable = bool(options["service_unavailable"])
        if "token_ttl" in options:
            self.token_ttl = float(options["token_ttl"])
        return {**super().configure(options), "service_unavailable": self.service_unavailable,
                "token_ttl": self.token_ttl}

    @property
    def public_key_b64(self) -> str:
        """The switch's public key as base64 DER: what ``ipin_public_key`` must hold."""
        return IPIN_PUBLIC_KEY

    # -- routes --------------------------------------------------------------------------
    @route("/register/", methods=("POST",))
    @_answers
    def register(self, request: Request) -> Response:
        body = self._admit(request, ("user_phone", "user_name", "user_password"), passwords=("user_password",))
        phone = body["user_phone"]
        if phone == PHONE_UNAVAILABLE:
            return json_response(_UNAVAILABLE, 503)
        if phone == PHONE_INVALID or not _PHONE.fullmatch(phone):
            return json_response({"details": "your number not valid"}, 406)
        if phone == PHONE_SMS_DOWN:
            return json_response({"details": "bad getway"}, 502)
        self.otps_sent.append(phone)  # also to a registered phone, so a forgotten password can be reset
        if phone in self.users:
            return json_response(None, 302)
        self.users[phone] = User(body["user_name"], body["user_password"], active=False)
        return json_response(None, 201)

    @route("/verify/", methods=("POST",))
    @_answers
    def verify(self, request: Request) -> Response:
        body = self._admit(request, ("user_phone", "user_otp"))
        user = self._user(body["user_phone"])
        if not hmac.compare_digest(body["user_otp"], OTP_CODE):
            return json_response(None, 203)
        user.active = True
        return json_response({"token": self._issue_token(body["user_phone"]), "user_name": user.name})

    @route("/login/", methods=("POST",))
    @_answers
    def login(self, request: Request) -> Response:
        body = self._admit(request, ("user_phone", "user_password"))
        user = self._user(body["user_phone"])
        if not hmac.compare_digest(body["user_password"], user.password):
            return json_response(None, 203)
        return json_response(self._status(user))

    # The doc spells it "rest"; "reset" is accepted too.
    @route("/rest/password/", methods=("POST",))
    @route("/reset/password/", methods=("POST",), endpoint="reset_password")
    @_answers
    def reset_password(self, request: Request) -> Response:
        body = self._admit(request, ("user_phone", "user_password"), passwords=("user_password",))
        owner = self._token_owner(request)
        user = self._user(body["user_phone"])
        if owner != body["user_phone"]:
            return json_response(None, 203)  # a token is good only for its own phone
        user.password, user.active = body["user_password"], True
        return json_response(self._status(user))

    @route("/change/password/", methods=("POST",))
    @_answers
    def change_password(self, request: Request) -> Response:
        body = self._admit(request, ("current_password", "new_password"), passwords=("new_password",))
        user = self._user(self._token_owner(request))
        if not hmac.compare_digest(body["current_password"], user.password):
            return json_response({"details": "wrong current password"}, 203)
        user.password = body["new_password"]
        return json_response({"details": "password updated successful"})

    @route("/balance/inquiry/", methods=("POST",))
    @_answers
    def balance_inquiry(self, request: Request) -> Response:
        body = self._admit(request, ("pan", "ipin", "uuid", "expiration_date"))
        self._token_owner(request)
        invalid = _card_field_problems(body)
        if invalid:
            return json_response({"details": invalid}, 400)
        if body["uuid"] in self.seen_uuids:
            return _ebs(412)  # the switch takes each UUID once
        self.seen_uuids.add(body["uuid"])
        ipin = self._decrypt_ipin(body["ipin"], body["uuid"])
        if ipin is None:
            return json_response({"details": {"ipin": ["IPIN block could not be decrypted."]}}, 400)
        return self._inquire(body["pan"], ipin, body["expiration_date"], body["uuid"])

    # -- checks shared by the routes: each raises _Refusal with the documented answer -------
    def _admit(self, request: Request, fields: tuple[str, ...], *, passwords: tuple[str, ...] = ()) -> dict:
        """API key, outage, then the fields: the order EnayaPay checks them in."""
        if request.headers.get("x-api-key") != API_KEY:
            raise _Refusal(json_response(None, 401))
        if self.service_unavailable:
            raise _Refusal(json_response(_UNAVAILABLE, 503))
        body = self.body(request)
        problems = {name: _field_problem(body.get(name), name in passwords) for name in fields}
        problems = {name: [problem] for name, problem in problems.items() if problem}
        if problems:
            raise _Refusal(json_response({"details": problems}, 400))
        return body

    def _user(self, phone: str) -> User:
        if phone == PHONE_UNAVAILABLE:
            raise _Refusal(json_response(_UNAVAILABLE, 503))
        if phone not in self.users:
            raise _Refusal(json_response({"details": "user not registered"}, 404))
        return self.users[phone]

    def _token_owner(self, request: Request) -> str:
        held = self.tokens.get(request.headers.get("token", ""))
        if held is None or held[1] <= time.time():
            raise _Refusal(json_response(None, 203))
        return held[0]

    def _issue_token(self, phone: str) -> str:
        """A JWT-shaped token like the doc's example (HS256 over username and expiry)."""
        expires = time.time() + self.token_ttl
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {"username": phone, "expiry": int(expires), "jti": uuidlib.uuid4().hex}
        payload = _b64url(json.dumps(claims).encode())
        signature = _b64url(hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        token = f"{header}.{payload}.{signature}"
        self.tokens[token] = (phone, expires)
        return token

    def _status(self, user: User) -> dict:
        return {"user_name": user.name, "status": "active" if user.active else "inactive"}

    # -- the card switch -----------------------------------------------------------------
    def _decrypt_ipin(self, block: str, request_uuid: str) -> str | None:
        try:
            plain = self._private_key.decrypt(base64.b64decode(block, validate=True), padding.PKCS1v15())
            text = plain.decode()
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        ipin = text[len(request_uuid):]
        return ipin if text.startswith(request_uuid) and ipin.isdigit() else None

    def _inquire(self, pan: str, ipin: str, expiry: str, request_uuid: str) -> Response:
        card = self.cards.get(pan) if luhn_ok(pan) else None
        if card is None:
            return _ebs(601)
        if card.answer == 502:
            return json_response({"details": "bad getway"}, 502)
        if card.blocked:
            return _ebs(375)
        if not hmac.compare_digest(ipin, card.ipin):
            card.wrong_tries += 1
            card.blocked = card.wrong_tries >= MAX_IPIN_TRIES
            return _ebs(375 if card.blocked else 55)
        card.wrong_tries = 0
        if expiry != card.expiry:
            return _ebs(602)
        if _expired(card.expiry):
            return _ebs(554)
        if card.answer:
            return _ebs(card.answer)
        return json_response(exact_json({"response_code": 0, "balance": _number(card.balance),
                                         "response_status": EBS_MESSAGES[0], "uuid": request_uuid}))


def _card_field_problems(body: dict) -> dict[str, list[str]]:
    problems = {}
    if len(body["uuid"]) != 36 or not _is_uuid(body["uuid"]):
        problems["uuid"] = ["Must be a valid UUID (36 characters)."]
    if not _EXPIRY.fullmatch(body["expiration_date"]):
        problems["expiration_date"] = ["Must be YYMM."]
    return problems


def _is_uuid(value: str) -> bool:
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


def _field_problem(value: object, is_password: bool) -> str | None:
    if value in (None, ""):
        return "This field is required."
    if not isinstance(value, str):
        return "Not a valid string."
    if is_password and len(value) < MIN_PASSWORD:
        return f"Ensure this field has at least {MIN_PASSWORD} characters."
    return None


def _ebs(code: int) -> Response:
    return json_response({"response_code": code, "response_message": EBS_MESSAGES[code]}, 406)


def _expired(expiry: str, today: date | None = None) -> bool:
    today = today or date.today()
    return (int(expiry[:2]), int(expiry[2:])) < (today.year % 100, today.month)


def _number(amount: Decimal) -> int | Decimal:
    """The balance as a JSON number, as the doc shows it (``400``, ``15250.75``): a whole
    amount as an integer, else the Decimal itself, written exactly by ``exact_json``."""
    return int(amount) if amount == amount.to_integral_value() else amount


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
