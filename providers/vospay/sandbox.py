"""Vospay sandbox: the v2.1.3 API with in-memory customers, accounts, merchants,
transactions and contracts. Test data in ``providers/vospay/README.md`` ("Test data").

What it simulates beyond the doc's examples (each choice is in the README):
- Vospay is a Feathers app: errors are ``{name, message, code, className, data, errors}``
  and some refusals come back as HTTP 500 (an OTP for an unknown phone, a body that is
  not JSON or lacks a required field).
- Tokens are real HS256 JWTs carrying the user ID; ``Authorization: JWT <token>`` (the
  doc's samples) and ``Bearer <token>`` (its security scheme) are both accepted.
- A purchase needs a token confirmed with a *transaction* OTP for the same merchant and
  gross amount, spent by the finalize it confirms.
- Finalize commits credit at once and opens a Pending contract; the multifinance
  approves it ``completion_delay`` seconds later (or when next looked at), and then the
  notify callback is POSTed to the ``notifyEndpoint`` given at finalize.
- Money is Decimal from the request body to the answer: bodies are read with
  ``parse_float=Decimal`` and amounts and rates are written as exact JSON numbers
  (``exact_json``), never through a float.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from providers.base.exactjson import dumps as exact_json  # Decimal → exact JSON number
from providers.base.sandbox import Sandbox, json_response, route

# -- documented test data (see README "Test data") ---------------------------------------
TEST_OTP = "739146"  # the OTP every test phone receives
ACCESS_CODE_SITI = "Siti-Sandbox-2468"
ACCESS_CODE_BUDI = "Budi-Sandbox-1357"
ACCESS_CODE_DEWI = "Dewi-Sandbox-9753"
JWT_SECRET = "vospay-sandbox-jwt-signing-key-0f3c9a"
MERCHANT_SECRET_KEYS = ("sbx_sk_bukalapak_5c8e2f", "sbx_sk_sociolla_9a41d7", "sbx_sk_tokopedia_3b76c0")

TEST_SECRETS: tuple[str, ...] = (
    TEST_OTP, ACCESS_CODE_SITI, ACCESS_CODE_BUDI, ACCESS_CODE_DEWI, JWT_SECRET, *MERCHANT_SECRET_KEYS,
)

PHONE_SITI = "08110000002"  # two accounts (MPM, Maybank), registered, one contract
PHONE_SITI_MEGA = "08110000012"  # Siti's third account (Bank Mega)
PHONE_SITI_OFFER = "08110000022"  # an activation offer (MFC 236) for Siti: hasRegistered true
PHONE_LOCKED = "08110000003"  # Budi: locked account
PHONE_LIMITED = "08110000004"  # Dewi: IDR 100,000 available
PHONE_NEW = "08118289855"  # Dominggus: activation offer (MFC 234), not registered
PHONE_UNKNOWN = "08119999999"  # a well-formed phone Vospay does not know: OTP send answers 500

MERCHANT_KEYS = ("sbx_mk_bukalapak", "sbx_mk_sociolla", "sbx_mk_tokopedia")
# What seed_demo gives a Vospay connection. A merchant key is an identifier, not a secret
# (GET /merchants shows it to every signed-in customer), so it is not in TEST_SECRETS.
DEMO_CREDENTIALS = {"merchant_key": MERCHANT_KEYS[0]}

MULTIFINANCES = {
    "234": {"logo": "https://vospay.id/mpmLogo.png", "name": "MPM", "phone": "02155512345",
            "email": "cs-mpm@gmail.com"},
    "235": {"logo": "https://vospay.id/maybankLogo.png", "name": "Maybank", "phone": "02155554321",
            "email": "cs-maybank@gmail.com"},
    "236": {"logo": "https://vospay.id/bankMegaLogo.png", "name": "Bank Mega", "phone": "02155512321",
            "email": "cs-mega@gmail.com"},
}

# (installmentID, tenor in months, flat rate over the tenor); installment = amount * (1 + rate) / tenor,
# which is how the doc's contract example (125,000 over 6 months at 0.03 -> 21,458.33) adds up.
INSTALLMENT_PLANS = (("1", 3, Decimal("0.02")), ("2", 6, Decimal("0.03")),
                     ("3", 9, Decimal("0.045")), ("4", 12, Decimal("0.06")))

OTP_TTL = 300.0
TOKEN_TTL = 86400.0
PHONE_RE = re.compile(r"^08\d{8,11}$")
JAKARTA = timedelta(hours=7)

FEATHERS_ERRORS = {
    400: ("BadRequest", "bad-request"),
    401: ("NotAuthenticated", "not-authenticated"),
    404: ("NotFound", "not-found"),
    409: ("Conflict", "conflict"),
    500: ("GeneralError", "general-error"),
}


def feathers_error(status: int, message: str) -> Response:
    name, class_name = FEATHERS_ERRORS[status]
    return json_response(
        {"name": name, "message": message, "code": status, "className": class_name, "data": {}, "errors": {}},
        status,
    )


# -- state -------------------------------------------------------------------------------
@dataclass
class Person:
    user_id: str
    nik: str
    full_name: str
    date_of_birth: str  # YYYYMMDD
    email: str | None = None
    password: str | None = None


@dataclass
class Account:
    vospay_number: str
    user_id: str
    phone: str
    mfc_code: str
    credit_limit: Decimal
    available_credit: Decimal
    activated_at: datetime
    account_expiry: datetime
    is_locked: bool = False


@dataclass
class Offer:
    """An account a multifinance approved and texted an activation link for."""

    mfc_code: str
    nik: str
    phone: str
    date_of_birth: str
    user_id: str
    credit_limit: Decimal
    vospay_number: str | None = None


@dataclass
class Transaction:
    transaction_id: str
    user_id: str
    vospay_number: str
    merchant_key: str
    order_id: str
    currency: str
    items: list[dict]
    costs: dict[str, Decimal]
    gross: Decimal
    plans: dict[str, tuple[int, Decimal, Decimal]]  # id -> (period, rate, monthly payment)
    finalized_at: datetime | None = None
    contract_number: str | None = None


@dataclass
class ContractRecord:
    contract_number: str
    transaction_id: str
    installment_id: str
    period: int
    remaining_period: int
    installment: Decimal
    rate: Decimal
    transaction_date: date
    next_payment_due: date | None
    status: str
    notify_url: str | None = None
    approve_at: float | None = None  # monotonic time the multifinance approves
    modified_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class VospaySandbox(Sandbox):
    name = "vospay"
    prefix = "/vospay/api/v2"

    def reset(self) -> None:
        super().reset()
        self.otp_ttl = OTP_TTL
        self.token_ttl = TOKEN_TTL
        self.persons: dict[str, Person] = {}
        self.vospay_accounts: dict[str, Account] = {}
        self.offers: list[Offer] = []
        self.pending_otps: dict[str, dict] = {}
        self.spent_tokens: set[str] = set()
        self.transactions: dict[str, Transaction] = {}
        self.contract_records: dict[str, ContractRecord] = {}
        self.merchant_records = _seed_merchants()
        self._sequence = 5
        self._seed_customers()

    def configure(self, options: dict) -> dict:
        """Besides ``completion_delay``: ``otp_ttl`` and ``token_ttl`` in seconds."""
        for key in ("otp_ttl", "token_ttl"):
            if key in options:
                setattr(self, key, float(options[key]))
        return {**super().configure(options), "otp_ttl": self.otp_ttl, "token_ttl": self.token_ttl}

    def not_found(self, request: Request) -> Response:
        return feathers_error(404, f"Page not found: {request.path}")

    @staticmethod
    def body(request: Request) -> dict:
        """The JSON body as a dict ({} when absent or not an object), with every number
        that has a fraction read as Decimal: money never passes through a float."""
        try:
            data = json.loads(request.get_data(as_text=True) or "{}", parse_float=Decimal)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    # -- token -------------------------------------------------------------------------
    @route("/authentication", methods=("POST",))
    def create_access_token(self, request: Request) -> Response:
        body = self.body(request)
        strategy = body.get("strategy")
        if strategy == "otp":
            return self._sign_in_with_otp(str(body.get("phone") or ""), str(body.get("code") or ""))
        if strategy in ("email", "phone"):
            return self._sign_in_with_password(strategy, body)
        if not body.get("phone") and not body.get("email"):
            return feathers_error(400, "Phone number or OTP is not provided")
        return feathers_error(400, "Unknown authentication strategy")

    def _sign_in_with_otp(self, phone: str, code: str) -> Response:
        if not phone or not code:
            return feathers_error(400, "Phone number or OTP is not provided")
        pending = self.pending_otps.get(phone)
        if pending is None or pending["expires"] < time.monotonic() or code != TEST_OTP:
            return feathers_error(401, "Invalid OTP")
        del self.pending_otps[phone]  # one OTP, one token
        person = self._person_for_phone(phone)
        claims = {"phone": phone, "otpAction": pending["action"]}
        if pending["action"] == "transaction":
            claims |= {"merchantKey": pending["merchantKey"], "grossAmount": pending["grossAmount"]}
        return json_response({"accessToken": self._issue(person.user_id, "otp", claims)}, 201)

    def _sign_in_with_password(self, strategy: str, body: dict) -> Response:
        login, password = body.get(strategy), body.get("password")
        if not login or not password:
            what = "Email" if strategy == "email" else "Phone number"
            return feathers_error(400, f"{what} or password is not provided")
        if strategy == "email":
            person = next((p for p in self.persons.values() if (p.email or "").lower() == str(login).lower()), None)
        else:
            person = self._person_for_phone(str(login))
        if person is None or person.password is None or not hmac.compare_digest(person.password, str(password)):
            return feathers_error(401, "Invalid login")
        return json_response({"accessToken": self._issue(person.user_id, strategy, {})}, 201)

    def _issue(self, user_id: str, strategy: str, extra: dict) -> str:
        now = int(time.time())
        claims = {"userId": user_id, "strategy": strategy, **extra, "iat": now,
                  "exp": now + int(self.token_ttl), "aud": "https://vospay.id", "iss": "vospay-sandbox",
                  "sub": user_id, "jti": secrets.token_hex(8)}
        header = _b64(json.dumps({"alg": "HS256", "typ": "access"}).encode())
        payload = _b64(json.dumps(claims).encode())
        return f"{header}.{payload}.{_sign(f'{header}.{payload}')}"

    def _claims(self, request: Request) -> dict | Response:
        """The caller's verified token claims, or the documented 401."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.upper() not in ("JWT", "BEARER") or not token.strip():
            return feathers_error(401, "No auth token")
        parts = token.strip().split(".")
        if len(parts) != 3 or not hmac.compare_digest(_sign(f"{parts[0]}.{parts[1]}"), parts[2]):
            return feathers_error(401, "invalid signature")
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return feathers_error(401, "jwt malformed")
        if claims.get("exp", 0) < time.time():
            return feathers_error(401, "jwt expired")
        if claims.get("userId") not in self.persons:
            return feathers_error(401, "User not found")
        return claims

    # -- OTP ---------------------------------------------------------------------------
    @route("/otp/<phone>", methods=("GET",))
    def send_otp(self, request: Request, phone: str) -> Response:
        # The doc writes the query into the path (/otp/{phone}&action=...); take both forms.
        phone, _, embedded = phone.partition("&")
        params = {**dict(parse_qsl(embedded)), **request.args.to_dict()}
        if not PHONE_RE.match(phone):
            return feathers_error(500, "Phone number is invalid")
        if self._person_for_phone(phone) is None:
            return feathers_error(500, "Phone number is not found")
        action = params.get("action")
        pending = {"action": action, "expires": time.monotonic() + self.otp_ttl}
        if action == "transaction":
            refusal = self._transaction_otp_refusal(phone, params)
            if refusal:
                return feathers_error(500, refusal)
            pending |= {"merchantKey": params["merchantKey"], "grossAmount": params["grossAmount"]}
        elif action != "activation":
            return feathers_error(500, "action must be activation or transaction")
        self.pending_otps[phone] = pending
        return json_response({"message": "Success"})

    def _transaction_otp_refusal(self, phone: str, params: dict) -> str | None:
        if not any(a.phone == phone for a in self.vospay_accounts.values()):
            return "Phone number has no active Vospay account"
        if params.get("merchantKey") not in self.merchant_records:
            return "Merchant is not found"
        if not re.fullmatch(r"[1-9]\d*", params.get("grossAmount") or ""):
            return "grossAmount is invalid"
        return None

    # -- activation and registration ----------------------------------------------------
    @route("/activation", methods=("POST",))
    def activate_account(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        body = self._json(request)
        if body is None:
            return feathers_error(500, "Content-Type must be application/json")
        fields = ("mfcCode", "nik", "phone", "dateOfBirth")
        if any(not body.get(f) for f in fields):
            return feathers_error(500, "mfcCode, nik, phone and dateOfBirth are required")
        offer = next((o for o in self.offers if (o.mfc_code, o.nik, o.phone, o.date_of_birth)
                      == tuple(str(body[f]) for f in fields) and o.user_id == claims["userId"]), None)
        if offer is None:
            return feathers_error(400, "The data does not match any activation from this multifinance")
        if offer.vospay_number is None:
            offer.vospay_number = self._open_account(offer).vospay_number
        person = self.persons[offer.user_id]
        return json_response({"hasRegistered": person.password is not None}, 201)

    def _open_account(self, offer: Offer) -> Account:
        self._sequence += 1
        now = datetime.now(UTC)
        account = Account(
            vospay_number=f"{offer.mfc_code}001{self._sequence:010d}", user_id=offer.user_id, phone=offer.phone,
            mfc_code=offer.mfc_code, credit_limit=offer.credit_limit, available_credit=offer.credit_limit,
            activated_at=now, account_expiry=_jakarta_midnight(_add_months(_today(), 12)),
        )
        self.vospay_accounts[account.vospay_number] = account
        return account

    @route("/registration", methods=("PATCH",))
    def register_account(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        body = self.body(request)
        account = self.vospay_accounts.get(str(body.get("vospayNumber") or ""))
        if account is None or account.user_id != claims["userId"]:
            return feathers_error(404, "Vospay account number is not found")
        if not body.get("password"):
            return feathers_error(400, "password is required")
        person = self.persons[account.user_id]
        person.password = str(body["password"])
        person.email = body.get("email") or person.email
        return json_response({"message": "Success"})

    # -- accounts and merchants ----------------------------------------------------------
    @route("/accounts", methods=("GET",))
    def accounts(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        phone = request.args.get("phone")
        mine = [a for a in self.vospay_accounts.values()
                if a.user_id == claims["userId"] and (phone is None or a.phone == phone)]
        if not mine:
            return feathers_error(404, "No Vospay account found for this phone number" if phone else "User not found")
        return self._page(request, [{"vospayNumber": a.vospay_number, "multifinance": MULTIFINANCES[a.mfc_code]}
                                    for a in mine])

    @route("/merchants", methods=("GET",))
    def merchants(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        key = request.args.get("merchantKey")
        found = [m for k, m in self.merchant_records.items() if key is None or k == key]
        return self._page(request, found)

    # -- checkout ----------------------------------------------------------------------
    @route("/authorize-transaction", methods=("POST",))
    def authorize_transaction(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        body = self.body(request)
        refusal = _order_refusal(body)
        if refusal:
            return feathers_error(400, refusal)
        merchant = self.merchant_records.get(str(body["merchantKey"]))
        account = self.vospay_accounts.get(str(body["vospayNumber"]))
        if merchant is None:
            return feathers_error(404, "Merchant is not found")
        if account is None or account.user_id != claims["userId"]:
            return feathers_error(404, "Vospay account number is not found")
        txn = self._open_transaction(claims["userId"], account, body)
        return json_response(exact_json(self._authorization(txn, account, merchant)))

    def _open_transaction(self, user_id: str, account: Account, body: dict) -> Transaction:
        gross = _amount(body["grossAmount"])
        txn = Transaction(
            transaction_id=secrets.token_hex(12), user_id=user_id, vospay_number=account.vospay_number,
            merchant_key=str(body["merchantKey"]), order_id=str(body["orderID"]), currency=body["currency"],
            items=[{"_id": secrets.token_hex(12), "name": str(i.get("name", "")), "price": _amount(i["price"]),
                    "quantity": int(i["quantity"])} for i in body["items"]],
            costs={k: _amount(body[k]) for k in ("shippingCost", "insuranceCost", "processingFee", "tax")},
            gross=gross,
            plans={pid: (months, rate, _monthly(gross, rate, months)) for pid, months, rate in INSTALLMENT_PLANS},
        )
        self.transactions[txn.transaction_id] = txn
        return txn

    def _authorization(self, txn: Transaction, account: Account, merchant: dict) -> dict:
        return {
            "vospayNumber": account.vospay_number, "merchantIcon": merchant["icon"], "merchantLogo": merchant["logo"],
            "mfcLogo": MULTIFINANCES[account.mfc_code]["logo"], "fullName": self.persons[account.user_id].full_name,
            "transactionID": txn.transaction_id, "availableCredit": _num(account.available_credit),
            "creditLimit": _num(account.credit_limit),
            "accountExpiry": (account.account_expiry + JAKARTA).strftime("%Y%m%d"),
            "installments": [{"installmentID": pid, "rate": rate, "period": months, "monthlyPayment": _num(pay)}
                             for pid, (months, rate, pay) in txn.plans.items()],
        }

    @route("/finalize-transaction", methods=("POST",))
    def finalize_transaction(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        body = self._json(request)
        if body is None:
            return feathers_error(500, "Content-Type must be application/json")
        if any(not body.get(f) for f in ("notifyEndpoint", "transactionID", "installmentID")):
            return feathers_error(500, "notifyEndpoint, transactionID and installmentID are required")
        txn = self.transactions.get(str(body["transactionID"]))
        if txn is None or txn.user_id != claims["userId"]:
            return feathers_error(404, "Transaction is not found")
        if txn.finalized_at is not None:
            return feathers_error(409, "Transaction has already been finalized")
        if str(body["installmentID"]) not in txn.plans:
            return feathers_error(400, "Installment plan is not offered for this transaction")
        refusal = self._confirmation_refusal(claims, txn)
        if refusal:
            return feathers_error(401, refusal)
        self.spent_tokens.add(claims["jti"])
        account = self.vospay_accounts[txn.vospay_number]
        if account.is_locked or txn.gross > account.available_credit:
            return json_response({"message": "Fail", "vospayNumber": account.vospay_number,
                                  "isLocked": account.is_locked, "isLimited": not account.is_locked})
        self._commit(txn, account, str(body["installmentID"]), str(body["notifyEndpoint"]))
        return json_response({"message": "Success"})

    def _confirmation_refusal(self, claims: dict, txn: Transaction) -> str | None:
        """A purchase is confirmed by a token from a transaction OTP for this merchant and amount."""
        if claims.get("jti") in self.spent_tokens:
            return "This confirmation was already used; send a new transaction OTP"
        confirmed = (claims.get("otpAction") == "transaction"
                     and claims.get("merchantKey") == txn.merchant_key
                     and claims.get("grossAmount") == str(_num(txn.gross))
                     and claims.get("phone") == self.vospay_accounts[txn.vospay_number].phone)
        return None if confirmed else "Confirm this purchase with a transaction OTP first"

    def _commit(self, txn: Transaction, account: Account, installment_id: str, notify_url: str) -> None:
        months, rate, monthly = txn.plans[installment_id]
        account.available_credit -= txn.gross
        txn.finalized_at = datetime.now(UTC)
        self._sequence += 1
        today = _today()
        record = ContractRecord(
            contract_number=f"{account.mfc_code}{today:%Y%m%d}{self._sequence:010d}", transaction_id=txn.transaction_id,
            installment_id=installment_id, period=months, remaining_period=months, installment=monthly, rate=rate,
            transaction_date=today, next_payment_due=_add_months(today, 1), status="Pending",
            notify_url=notify_url, approve_at=time.monotonic() + self.completion_delay,
        )
        txn.contract_number = record.contract_number
        self.contract_records[record.contract_number] = record
        self.later(self.completion_delay, lambda: self._approve(record))

    def _approve(self, record: ContractRecord) -> None:
        """The multifinance approves the contract; Vospay notifies the merchant."""
        if record.status != "Pending":
            return
        record.status, record.approve_at = "Approved", None
        record.modified_at = datetime.now(UTC)
        txn = self.transactions[record.transaction_id]
        body = {
            "transactionID": txn.transaction_id, "orderID": txn.order_id, "merchantKey": txn.merchant_key,
            "vospayNumber": txn.vospay_number, "currency": txn.currency, "grossAmount": _num(txn.gross),
            "installmentID": record.installment_id, "period": record.period,
            "installment": _num(record.installment), "contractNumber": record.contract_number,
            "status": record.status, "timestamp": _iso(record.modified_at),
        }
        self.send_callback(record.notify_url, body, raw=exact_json(body))

    def _approve_due(self) -> None:
        """Resolve lazily, so a reader never sees a contract pending past its time."""
        now = time.monotonic()
        for record in list(self.contract_records.values()):
            if record.approve_at is not None and record.approve_at <= now:
                self._approve(record)

    @route("/verify-transaction", methods=("POST",))
    def verify_transaction(self, request: Request) -> Response:
        body = self._json(request)
        if body is None:
            return feathers_error(500, "Content-Type must be application/json")
        if any(body.get(f) in (None, "") for f in ("transactionID", "orderID", "currency", "grossAmount")):
            return feathers_error(500, "transactionID, orderID, currency and grossAmount are required")
        self._approve_due()
        txn = self.transactions.get(str(body["transactionID"]))
        if txn is None:
            return json_response({"status": "Invalid", "message": "Transaction is not found"}, 404)
        try:
            matches = (txn.order_id == str(body["orderID"]) and txn.currency == body["currency"]
                       and txn.gross == _amount(body["grossAmount"]))
        except (InvalidOperation, TypeError, ValueError):
            matches = False
        if txn.finalized_at is None or not matches:
            return json_response({"status": "Invalid"})
        return json_response({"status": "Valid", "timestamp": _iso(txn.finalized_at)})

    # -- user dashboard ----------------------------------------------------------------
    @route("/my-profile", methods=("GET",))
    def profile(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        person = self.persons[claims["userId"]]
        accounts = [a for a in self.vospay_accounts.values() if a.user_id == person.user_id]
        return json_response(exact_json({"nik": person.nik, "fullName": person.full_name, "email": person.email,
                                         "accounts": [self._profile_account(a, person) for a in accounts]}))

    def _profile_account(self, a: Account, person: Person) -> dict:
        return {
            "activatedAt": _iso(a.activated_at), "isLocked": a.is_locked, "creditLimit": _num(a.credit_limit),
            "availableCredit": _num(a.available_credit), "mfcCode": a.mfc_code, "phone": a.phone,
            "dateOfBirth": person.date_of_birth, "accountExpiry": _iso(a.account_expiry),
            "vospayNumber": a.vospay_number, "multifinance": MULTIFINANCES[a.mfc_code],
        }

    @route("/transactions", methods=("GET",))
    def contracts(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        self._approve_due()
        mine = [c for c in self.contract_records.values()
                if self.transactions[c.transaction_id].user_id == claims["userId"]]
        mine.sort(key=lambda c: (c.transaction_date, c.contract_number), reverse=True)
        return self._page(request, [self._contract(c) for c in mine])

    def _contract(self, c: ContractRecord) -> dict:
        txn = self.transactions[c.transaction_id]
        merchant = self.merchant_records[txn.merchant_key]
        return {
            "contractNumber": c.contract_number, "vospayNumber": txn.vospay_number, "period": c.period,
            "remainingPeriod": c.remaining_period, "installment": _num(c.installment),
            "transactionAmount": _num(txn.gross), "interestRate": c.rate,
            "nextPaymentDue": c.next_payment_due.strftime("%Y%m%d") if c.next_payment_due else None,
            "transactionDate": c.transaction_date.strftime("%Y%m%d"),
            "transactionDetail": {
                "transactionID": txn.transaction_id, "currency": txn.currency, "status": c.status, "revision": 1,
                "mfcCode": self.vospay_accounts[txn.vospay_number].mfc_code, "orderID": txn.order_id,
                "items": [{**i, "price": _num(i["price"])} for i in txn.items],
                **{k: _num(v) for k, v in txn.costs.items()}, "modifiedAt": _iso(c.modified_at),
            },
            "merchantDetail": {"merchantID": merchant["_id"], "name": merchant["name"], "icon": merchant["icon"],
                               "logo": merchant["logo"], "site": merchant["site"]},
        }

    @route("/change-password", methods=("POST",))
    def change_access_code(self, request: Request) -> Response:
        claims = self._claims(request)
        if isinstance(claims, Response):
            return claims
        person = self.persons[claims["userId"]]
        if not any(a.user_id == person.user_id for a in self.vospay_accounts.values()):
            return feathers_error(404, "Vospay account number is not found")
        password = self.body(request).get("password")
        if not isinstance(password, str) or len(password) < 6:
            return feathers_error(400, "password must be at least 6 characters")
        person.password = password
        return json_response({"message": "Success"})

    # -- helpers -------------------------------------------------------------------------
    def _json(self, request: Request) -> dict | None:
        """The JSON body, or None when the Content-Type is not JSON (Vospay answers 500)."""
        if request.mimetype != "application/json":
            return None
        return self.body(request)

    def _page(self, request: Request, items: list[dict]) -> Response:
        try:
            limit = min(int(request.args.get("$limit", 10)), 50)
            skip = max(int(request.args.get("$skip", 0)), 0)
        except ValueError:
            return feathers_error(400, "$limit and $skip must be integers")
        page = {"total": len(items), "limit": limit, "skip": skip, "data": items[skip:skip + limit]}
        return json_response(exact_json(page))

    def _person_for_phone(self, phone: str) -> Person | None:
        owner = next((a.user_id for a in self.vospay_accounts.values() if a.phone == phone), None)
        owner = owner or next((o.user_id for o in self.offers if o.phone == phone), None)
        return self.persons.get(owner) if owner else None

    def _seed_customers(self) -> None:
        today = _today()
        for person in (
            Person("5af29f13e1bb9456a734bc01", "6301044309680001", "Siti Rohanah", "19680903",
                   "siti.rohanah@example.id", ACCESS_CODE_SITI),
            Person("5af29f13e1bb9456a734bc02", "3171011201850003", "Budi Santoso", "19850112",
                   "budi.santoso@example.id", ACCESS_CODE_BUDI),
            Person("5af29f13e1bb9456a734bc03", "3273015507920004", "Dewi Lestari", "19920715",
                   "dewi.lestari@example.id", ACCESS_CODE_DEWI),
            Person("5af29f13e1bb9456a734bc04", "6308044810820001", "Dominggus Sirius Octovianus", "19881002"),
        ):
            self.persons[person.user_id] = person
        activated = datetime.now(UTC) - timedelta(days=200)
        expiry = _jakarta_midnight(_add_months(today, 6))
        for number, user, phone, mfc, limit, available, locked in (
            ("2340010000000001", "bc01", PHONE_SITI, "234", "50000000", "49875000", False),
            ("2350010000000002", "bc01", PHONE_SITI, "235", "10000000", "10000000", False),
            ("2360010000000003", "bc01", PHONE_SITI_MEGA, "236", "5000000", "5000000", False),
            ("2340010000000004", "bc02", PHONE_LOCKED, "234", "20000000", "20000000", True),
            ("2350010000000005", "bc03", PHONE_LIMITED, "235", "2000000", "100000", False),
        ):
            self.vospay_accounts[number] = Account(
                number, f"5af29f13e1bb9456a734{user}", phone, mfc, Decimal(limit), Decimal(available),
                activated, expiry, locked,
            )
        self.offers = [
            Offer("234", "6308044810820001", PHONE_NEW, "19881002", "5af29f13e1bb9456a734bc04", Decimal("1000000")),
            Offer("236", "6301044309680001", PHONE_SITI_OFFER, "19680903", "5af29f13e1bb9456a734bc01",
                  Decimal("3000000")),
        ]
        self._seed_contract(today)

    def _seed_contract(self, today: date) -> None:
        """Siti's running contract: 125,000 over 6 months, 3 paid (the doc's example)."""
        started = _add_months(today, -3)
        txn = Transaction(
            transaction_id="5afd23cdef3a002325832a8e", user_id="5af29f13e1bb9456a734bc01",
            vospay_number="2340010000000001", merchant_key="sbx_mk_sociolla", order_id="BL001", currency="IDR",
            items=[{"_id": "5af192e30568b451b001188f", "name": "Charger Samsung A5", "price": Decimal(100000),
                    "quantity": 1},
                   {"_id": "5af192e30568b451b001188e", "name": "Cover HeadPhone", "price": Decimal(15000),
                    "quantity": 1}],
            costs={"shippingCost": Decimal(10000), "insuranceCost": Decimal(0), "processingFee": Decimal(0),
                   "tax": Decimal(0)},
            gross=Decimal(125000), plans={}, finalized_at=_jakarta_midnight(started),
            contract_number="234" + started.strftime("%Y%m%d") + "0000000001",
        )
        self.transactions[txn.transaction_id] = txn
        self.contract_records[txn.contract_number] = ContractRecord(
            contract_number=txn.contract_number, transaction_id=txn.transaction_id, installment_id="2", period=6,
            remaining_period=3, installment=_monthly(txn.gross, Decimal("0.03"), 6), rate=Decimal("0.03"),
            transaction_date=started, next_payment_due=_add_months(started, 4), status="Approved",
        )


# -- module helpers ----------------------------------------------------------------------
def _seed_merchants() -> dict[str, dict]:
    rows = (
        ("5ae2a756bfa800e3265ad82f", "Bukalapak", "bukalapak", "https://www.bukalapak.com/"),
        ("5ae2a756bfa800e3265ad831", "Sociolla", "sociolla", "https://www.sociolla.com/"),
        ("5ae2a756bfa800e3265ad830", "Tokopedia", "tokopedia", "https://www.tokopedia.com/"),
    )
    return {
        key: {"_id": mid, "name": name, "icon": f"https://vospay.id/{slug}-icon.png",
              "logo": f"https://vospay.id/{slug}-logo.png", "merchantKey": key, "secretKey": secret,
              "site": site, "__v": 0}
        for (mid, name, slug, site), key, secret in zip(rows, MERCHANT_KEYS, MERCHANT_SECRET_KEYS, strict=True)
    }


def _order_refusal(body: dict) -> str | None:
    """Why an authorize body is not a valid order, or None."""
    required = ("vospayNumber", "merchantKey", "orderID", "currency", "items", "shippingCost", "insuranceCost",
                "processingFee", "tax", "grossAmount")
    missing = [f for f in required if body.get(f) in (None, "")]
    if missing:
        return f"{', '.join(missing)} is required"
    if body["currency"] != "IDR":
        return "currency must be IDR"
    if not isinstance(body["items"], list) or not body["items"]:
        return "items must be a non-empty list"
    try:
        lines = sum(_amount(i["price"]) * int(i["quantity"]) for i in body["items"])
        costs = sum(_amount(body[k]) for k in ("shippingCost", "insuranceCost", "processingFee", "tax"))
        gross = _amount(body["grossAmount"])
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return "amounts must be whole rupiah and items need a price and a quantity"
    if gross <= 0:
        return "grossAmount must be positive"
    if lines + costs != gross:
        return "grossAmount must equal the items plus shipping, insurance, processing fee and tax"
    return None


def _amount(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise TypeError(f"not an amount: {value!r}")
    amount = Decimal(str(value))
    if amount < 0 or amount != amount.to_integral_value():
        raise ValueError(f"not whole rupiah: {value!r}")
    return amount


def _monthly(amount: Decimal, rate: Decimal, months: int) -> Decimal:
    return (amount * (1 + rate) / months).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _num(value: Decimal) -> int | Decimal:
    """A JSON number as Vospay sends it: whole rupiah as integers, installments with cents
    as the Decimal itself (written exactly by ``exact_json``)."""
    return int(value) if value == value.to_integral_value() else value


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _sign(signing_input: str) -> str:
    return _b64(hmac.new(JWT_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest())


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _today() -> date:
    """Today in Jakarta, where Vospay's dates (YYYYMMDD) are written."""
    return (datetime.now(UTC) + JAKARTA).date()


def _jakarta_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - JAKARTA


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)
