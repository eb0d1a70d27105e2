"""EnigmaPay sandbox: the dealer API with in-memory state.

- Two dealer accounts (test key pairs below); the second has credit card payments off.
- Assigned IBANs hold live balances: send-money debits the first active IBAN that
  holds the whole amount, and credits it back if the payout ends Failed, Rejected or
  Cancelled. Like the upstream, ``/ibans`` shows balances refreshed at most every
  ``balance_refresh_seconds`` (60 by default, as the doc says).
- Payouts answer Pending and reach their final status after ``completion_delay``
  seconds (by timer, and lazily on the next authenticated call).
- Each status change is POSTed to the callback URL set with
  ``configure({"callback_url": ...})`` (dealers set it in EnigmaPay's panel; the API has
  no field for it), retried while the receiver does not answer 200.
- Credit-card payments give a payment page under this sandbox (``/pay/<order_id>``)
  where a "customer" pays or declines; no card number is ever asked for.

Every value that triggers something is listed in README.md ("Test data").
"""

from __future__ import annotations

import functools
import html
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from werkzeug.wrappers import Request, Response

from providers.base.sandbox import Sandbox, route
from providers.enigmapay import wire
from providers.enigmapay.testdata import (  # re-exported: the test data is part of the sandbox's surface
    CARD_OFF_API_KEY,
    CARD_OFF_DEALER_IBAN,
    CARD_OFF_SECRET_KEY,
    CUSTOMER_IBAN_BLOCKED,
    CUSTOMER_IBAN_CANCELLED,
    CUSTOMER_IBAN_FAILS,
    CUSTOMER_IBAN_OK,
    CUSTOMER_IBAN_REJECTED,
    CUSTOMERS,
    DEALER_IBAN_1,
    DEALER_IBAN_2,
    DEALER_IBAN_3,
    DEMO_CREDENTIALS,
    FINAL_STATUS,
    SEED_HISTORY,
    SEED_IBANS,
    TEST_API_KEY,
    TEST_SECRET_KEY,
    TEST_SECRETS,
)

__all__ = [
    "CARD_OFF_API_KEY", "CARD_OFF_DEALER_IBAN", "CARD_OFF_SECRET_KEY", "CUSTOMER_IBAN_BLOCKED",
    "CUSTOMER_IBAN_CANCELLED", "CUSTOMER_IBAN_FAILS", "CUSTOMER_IBAN_OK", "CUSTOMER_IBAN_REJECTED",
    "DEALER_IBAN_1", "DEALER_IBAN_2", "DEALER_IBAN_3", "DEMO_CREDENTIALS", "TEST_API_KEY", "TEST_SECRETS",
    "TEST_SECRET_KEY", "EnigmaPaySandbox",
]

CREDIT_CARD_MINIMUM = Decimal("200.00")
CREDIT_CARD_DISABLED = "Credit card feature is not enabled for your dealer account. Contact support to activate."
_CENT = Decimal("0.01")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9 ]{10,16}$")


@dataclass
class _Dealer:
    api_key: str
    secret_key: str
    credit_card: bool


@dataclass
class _Iban:
    id: int
    dealer: str  # api key of the owner
    iban: str
    owner_name: str
    bank_name: str
    status: str
    balance: Decimal  # live ledger
    shown_balance: Decimal = Decimal("0.00")  # what /ibans serves until the next refresh
    shown_at: float | None = None


@dataclass
class _Txn:
    id: int
    dealer: str
    type: str  # deposit, withdrawal, credit_card
    amount: Decimal
    status: str
    created_at: datetime
    completed_at: datetime | None = None
    iban_id: int | None = None
    username: str | None = None
    customer_name: str | None = None
    customer_iban: str | None = None
    description: str | None = None
    final_status: str = "Completed"
    due: float = 0.0  # monotonic time of the final status (payouts)
    order_id: str | None = None


def _at(text: str) -> datetime:
    return wire.parse_timestamp(text)  # type: ignore[return-value]


def _now() -> datetime:
    return datetime.now(wire.ISTANBUL).replace(microsecond=0)


def _respond(body: dict, status: int = 200) -> Response:
    return Response(wire.dumps(body), status=status, mimetype="application/json")


def _fail(status: int, message: str, errors: dict[str, list[str]] | None = None) -> Response:
    body: dict = {"success": False, "message": message}
    if errors:
        body["errors"] = errors
    return _respond(body, status)


def _invalid(field: str, message: str) -> Response:
    """Laravel's validation answer: 422 with the first message and the errors by field."""
    return _fail(422, message, {field: [message]})


def authenticated(handler):
    """Check X-API-Key / X-Hash, settle what is due, then run the handler for the dealer."""

    @functools.wraps(handler)
    def wrapper(self: EnigmaPaySandbox, request: Request, **values):
        dealer = self.dealers.get(request.headers.get("X-API-Key", ""))
        given = request.headers.get("X-Hash", "").lower()
        if not request.headers.get("X-API-Key") or not given:
            return _fail(401, "API key and hash are required.")
        if dealer is None:
            return _fail(401, "Invalid API key.")
        if not secrets.compare_digest(given.encode(), wire.request_hash(dealer.api_key, dealer.secret_key).encode()):
            return _fail(401, "Invalid hash.")
        self._settle_due()
        return handler(self, request, dealer, **values)

    return wrapper


class EnigmaPaySandbox(Sandbox):
    name = "enigmapay"
    prefix = "/enigmapay/api/dealer"

    def reset(self) -> None:
        super().reset()
        self._epoch = getattr(self, "_epoch", 0) + 1
        self.completion_delay = type(self).completion_delay
        self.callback_url: str | None = None
        self.balance_refresh_seconds = 60.0
        self.callback_attempts = 3
        self.callback_retry_delay = 10.0
        self.dealers = {
            TEST_API_KEY: _Dealer(TEST_API_KEY, TEST_SECRET_KEY, credit_card=True),
            CARD_OFF_API_KEY: _Dealer(CARD_OFF_API_KEY, CARD_OFF_SECRET_KEY, credit_card=False),
        }
        self.ibans = {i.id: i for i in _seed_ibans()}
        self.transactions = {t.id: t for t in _seed_transactions()}
        self._next_id = 5001

    def configure(self, options: dict) -> dict:
        current = super().configure(options)
        if "callback_url" in options:
            self.callback_url = options["callback_url"] or None
        for name in ("balance_refresh_seconds", "callback_retry_delay"):
            if name in options:
                setattr(self, name, float(options[name]))
        if "callback_attempts" in options:
            self.callback_attempts = int(options["callback_attempts"])
        return {
            **current,
            "callback_url": self.callback_url,
            "balance_refresh_seconds": self.balance_refresh_seconds,
            "callback_attempts": self.callback_attempts,
            "callback_retry_delay": self.callback_retry_delay,
        }

    def not_found(self, request: Request) -> Response:
        return _fail(404, "The requested endpoint was not found.")

    def method_not_allowed(self, request: Request) -> Response:
        return _fail(405, f"The {request.method} method is not supported for this route.")

    # -- read endpoints --------------------------------------------------------------------------
    @route("/settings")
    @authenticated
    def settings(self, request: Request, dealer: _Dealer) -> Response:
        card = "Aktif" if dealer.credit_card else "Pasif"
        zero = "0.00"
        data = {
            "credit_card": {"status": card, "commission": "3.50" if dealer.credit_card else zero},
            "eiban": {"status": "Aktif", "deposit_commission": zero, "withdrawal_commission": zero,
                      "withdrawal_fee": zero},
            "manual_iban": {"status": "Aktif", "deposit_commission": zero},
        }
        return _respond({"success": True, "data": data, "info": "Connection successful"})

    @route("/ibans")
    @authenticated
    def ibans(self, request: Request, dealer: _Dealer) -> Response:
        rows = [self._iban_row(i) for i in self.ibans.values() if i.dealer == dealer.api_key]
        return _respond({"success": True, "data": rows})

    @route("/transactions")
    @authenticated
    def iban_transactions(self, request: Request, dealer: _Dealer) -> Response:
        raw_id = request.args.get("iban_id", "")
        if not raw_id:
            return _invalid("iban_id", "The iban id field is required.")
        if not raw_id.isdigit():
            return _invalid("iban_id", "The iban id field must be an integer.")
        iban = self.ibans.get(int(raw_id))
        if iban is None or iban.dealer != dealer.api_key:
            return _fail(404, "IBAN not found.")
        dates = {}
        for field in ("start_date", "end_date"):
            value = request.args.get(field)
            if value:
                try:
                    dates[field] = datetime.strptime(value, wire.DATE_FORMAT).date()
                except ValueError:
                    return _invalid(field, f"The {field.replace('_', ' ')} field must match the format Y-m-d.")
        start, end = dates.get("start_date"), dates.get("end_date")
        if start and end and end < start:
            return _invalid("end_date", "The end date field must be a date after or equal to start date.")
        rows = [
            self._history_row(t)
            for t in sorted(self.transactions.values(), key=lambda t: t.id, reverse=True)
            if t.iban_id == iban.id
            and (start is None or t.created_at.date() >= start)
            and (end is None or t.created_at.date() <= end)
        ]
        return _respond({"success": True, "data": rows})

    @route("/transaction-status")
    @authenticated
    def transaction_status(self, request: Request, dealer: _Dealer) -> Response:
        raw_id = request.args.get("transaction_id", "")
        if not raw_id:
            return _invalid("transaction_id", "The transaction id field is required.")
        if not raw_id.isdigit() or int(raw_id) < 1:
            return _invalid("transaction_id", "The transaction id field must be a positive integer.")
        txn = self.transactions.get(int(raw_id))
        if txn is None or txn.dealer != dealer.api_key:
            return _fail(404, "Transaction not found.")
        data = {
            "id": txn.id,
            "status": txn.status,
            "amount": txn.amount,
            "created_at": wire.format_timestamp(txn.created_at),
            "completed_at": _stamp(txn.completed_at),
        }
        return _respond({"success": True, "data": data})

    # -- writes ----------------------------------------------------------------------------------
    @route("/send-money", methods=("POST",))
    @authenticated
    def send_money(self, request: Request, dealer: _Dealer) -> Response:
        body = _json_body(request)
        problem = _require_text(body, "username", "customer_name") or _check_amount(body.get("amount"))
        if problem:
            return problem
        if body.get("description") is not None and not isinstance(body["description"], str):
            return _invalid("description", "The description field must be a string.")
        customer_iban = body.get("customer_iban")
        if wire.iban_problem(customer_iban):
            return _invalid("customer_iban", "The customer iban field must be a valid Turkish IBAN.")
        customer_iban = wire.compact_iban(customer_iban)
        if customer_iban == CUSTOMER_IBAN_BLOCKED:
            return _fail(403, "Transfers to this IBAN are not allowed.")
        amount = _decimal(body["amount"])
        source = next(
            (i for i in self.ibans.values()
             if i.dealer == dealer.api_key and i.status == "Active" and i.balance >= amount),
            None,
        )
        if source is None:
            return _fail(400, "Insufficient balance.")
        txn = self._payout(dealer, source, body, customer_iban, amount)
        data = {"transaction_id": txn.id, "status": txn.status, "amount": txn.amount, "currency": "TRY",
                "created_at": wire.format_timestamp(txn.created_at)}
        return _respond({"success": True, "message": "Transfer request created successfully", "data": data})

    @route("/credit-card/payment", methods=("POST",))
    @authenticated
    def credit_card_payment(self, request: Request, dealer: _Dealer) -> Response:
        if not dealer.credit_card:
            return _fail(403, CREDIT_CARD_DISABLED)
        body = _json_body(request)
        problem = (
            _require_text(body, "username", "firstname", "lastname", "email", "phone")
            or _check_amount(body.get("amount"), minimum=CREDIT_CARD_MINIMUM)
        )
        if problem:
            return problem
        if not _EMAIL_RE.match(body["email"]):
            return _invalid("email", "The email field must be a valid email address.")
        if not _PHONE_RE.match(body["phone"]):
            return _invalid("phone", "The phone field format is invalid.")
        txn = self._new_txn(
            dealer=dealer.api_key, type="credit_card", amount=_decimal(body["amount"]), status="Pending",
            username=body["username"], customer_name=f"{body['firstname']} {body['lastname']}",
            description=body.get("description") if isinstance(body.get("description"), str) else None,
        )
        txn.order_id = f"CC-{txn.created_at:%Y%m%d}-{secrets.token_hex(3).upper()}"
        data = {
            "payment_url": f"{request.host_url.rstrip('/')}{request.script_root}/pay/{txn.order_id}",
            "order_id": txn.order_id, "transaction_id": txn.id, "amount": txn.amount, "currency": "TRY",
        }
        return _respond({"success": True, "message": "Payment created successfully", "data": data})

    # -- the customer's payment page (no API auth: it is opened in a browser) --------------------
    @route("/pay/<order_id>", methods=("GET",))
    def payment_page(self, request: Request, order_id: str) -> Response:
        txn = self._order(order_id)
        if txn is None:
            return _page(404, "Payment not found", "<p>This payment link does not exist.</p>")
        if txn.status != "Pending":
            return _page(200, "Payment closed", f"<p>This payment is {html.escape(txn.status)}.</p>")
        form = (
            f"<p>Pay {txn.amount:,.2f} TRY to the dealer (sandbox: no card is asked for).</p>"
            '<form method="post"><button name="action" value="pay">Pay</button> '
            '<button name="action" value="decline">Decline</button></form>'
        )
        return _page(200, f"Order {html.escape(order_id)}", form)

    @route("/pay/<order_id>", methods=("POST",), endpoint="payment_page_submit")
    def payment_page_submit(self, request: Request, order_id: str) -> Response:
        txn = self._order(order_id)
        if txn is None:
            return _page(404, "Payment not found", "<p>This payment link does not exist.</p>")
        if txn.status != "Pending":
            return _page(409, "Payment closed", f"<p>This payment is already {html.escape(txn.status)}.</p>")
        txn.final_status = "Completed" if request.form.get("action") == "pay" else "Failed"
        self._finish(txn)
        return _page(200, "Thank you", f"<p>Payment {html.escape(txn.status)}.</p>")

    # -- state changes ---------------------------------------------------------------------------
    def _payout(self, dealer: _Dealer, source: _Iban, body: dict, customer_iban: str, amount: Decimal) -> _Txn:
        source.balance -= amount
        txn = self._new_txn(
            dealer=dealer.api_key, type="withdrawal", amount=amount, status="Pending", iban_id=source.id,
            username=body["username"], customer_name=body["customer_name"], customer_iban=customer_iban,
            description=body.get("description"), final_status=FINAL_STATUS.get(customer_iban, "Completed"),
            due=time.monotonic() + self.completion_delay,
        )
        self._later(self.completion_delay, lambda: self._settle(txn))
        return txn

    def _new_txn(self, **fields) -> _Txn:
        txn = _Txn(id=self._next_id, created_at=_now(), **fields)
        self._next_id += 1
        self.transactions[txn.id] = txn
        return txn

    def _settle_due(self) -> None:
        now = time.monotonic()
        for txn in list(self.transactions.values()):
            if txn.type == "withdrawal" and txn.status == "Pending" and txn.due <= now:
                self._settle(txn)

    def _settle(self, txn: _Txn) -> None:
        if self.transactions.get(txn.id) is not txn or txn.status != "Pending":
            return
        if txn.final_status != "Completed" and txn.iban_id in self.ibans:
            self.ibans[txn.iban_id].balance += txn.amount
        self._finish(txn)

    def _finish(self, txn: _Txn) -> None:
        txn.status = txn.final_status
        txn.completed_at = _now()
        self._deliver({
            "transaction_id": txn.id, "status": txn.status, "amount": txn.amount, "username": txn.username,
            "description": txn.description, "completed_at": _stamp(txn.completed_at),
        }, attempt=1)

    def _deliver(self, body: dict, attempt: int) -> None:
        if not self.callback_url:
            return
        # Pre-encoded so the amount goes out as the doc shows it (500.00), never via a float.
        self.send_callback(self.callback_url, body, raw=wire.dumps(body))
        record = self.callbacks[-1]
        if attempt < self.callback_attempts:
            self._later(self.callback_retry_delay, lambda: self._redeliver(record, body, attempt))

    def _redeliver(self, record: dict, body: dict, attempt: int) -> None:
        if record["status"] == 200:
            return
        if record["status"] is None and record["error"] is None:  # still in flight
            self._later(self.callback_retry_delay, lambda: self._redeliver(record, body, attempt))
            return
        self._deliver(body, attempt + 1)

    def _later(self, seconds: float, fn) -> None:
        """``later`` that does nothing if the sandbox was reset in between."""
        epoch = self._epoch
        self.later(seconds, lambda: fn() if self._epoch == epoch else None)

    # -- views of the state ----------------------------------------------------------------------
    def _iban_row(self, iban: _Iban) -> dict:
        now = time.monotonic()
        if iban.shown_at is None or now - iban.shown_at >= self.balance_refresh_seconds:
            iban.shown_balance, iban.shown_at = iban.balance, now
        return {
            "id": iban.id, "iban": iban.iban, "owner_name": iban.owner_name, "bank_name": iban.bank_name,
            "status": iban.status, "balance": iban.shown_balance,
            "formatted_balance": f"{iban.shown_balance:,.2f} ₺",
        }

    def _history_row(self, txn: _Txn) -> dict:
        return {
            "id": txn.id, "type": txn.type, "amount": txn.amount, "status": txn.status,
            "username": txn.username, "customer_name": txn.customer_name, "customer_iban": txn.customer_iban,
            "description": txn.description, "created_at": wire.format_timestamp(txn.created_at),
            "completed_at": _stamp(txn.completed_at),
        }

    def _order(self, order_id: str) -> _Txn | None:
        return next((t for t in self.transactions.values() if t.order_id == order_id), None)


# -- request helpers --------------------------------------------------------------------------------
def _json_body(request: Request) -> dict:
    """The JSON body with numbers read as Decimal; {} (then 422s) when it is not an object."""
    try:
        data = json.loads(request.get_data(as_text=True) or "{}", parse_float=Decimal)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _require_text(body: dict, *fields: str) -> Response | None:
    for field in fields:
        value = body.get(field)
        if not isinstance(value, str) or not value.strip():
            return _invalid(field, f"The {field.replace('_', ' ')} field is required.")
    return None


def _decimal(value: object) -> Decimal:
    return Decimal(value) if isinstance(value, str) else Decimal(str(value))


def _check_amount(value: object, *, minimum: Decimal = _CENT) -> Response | None:
    if value is None or value == "":
        return _invalid("amount", "The amount field is required.")
    try:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise InvalidOperation
        amount = _decimal(value)
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        return _invalid("amount", "The amount field must be a number.")
    if amount != amount.quantize(_CENT):
        return _invalid("amount", "The amount field must have 0-2 decimal places.")
    if amount < minimum:
        return _invalid("amount", f"The amount must be at least {minimum.normalize():f}.")
    return None


def _stamp(moment: datetime | None) -> str | None:
    return wire.format_timestamp(moment) if moment else None


def _page(status: int, title: str, content: str) -> Response:
    text = (f"<!doctype html><html><head><title>EnigmaPay sandbox · {title}</title></head>"
            f"<body><h1>{title}</h1>{content}</body></html>")
    return Response(text, status=status, mimetype="text/html")


# -- seed state ------------------------------------------------------------------------------------------
def _seed_ibans() -> list[_Iban]:
    return [
        _Iban(id_, dealer, iban, owner, bank, status, Decimal(balance))
        for id_, dealer, iban, owner, bank, status, balance in SEED_IBANS
    ]


def _seed_transactions() -> list[_Txn]:
    rows = []
    for id_, dealer, iban_id, type_, amount, when, username, description in SEED_HISTORY:
        name, iban = CUSTOMERS[username]
        moment = _at(when)
        rows.append(_Txn(id_, dealer, type_, Decimal(amount), "Completed", moment, moment, iban_id, username,
                         name, iban, description))
    return rows
