"""A local EoneoPay: API keys, customers with tokenised cards and bank accounts, card
payments by token and full refunds, with the test data of ``testdata.py``.

Every call checks HTTP Basic auth (key as user name, empty password), then the Accept
header (406 unless JSON is acceptable), then the admin permission of API-key calls
(403). Errors answer ``{"code": <HTTP status>, "message": "..."}``.

Payments are approved or declined at once, as the doc shows: nothing goes pending, and
EoneoPay sends no callbacks, so the sandbox sends none either.

Beyond the test cards and amounts, ``POST /_sandbox/config`` with
``{"provider": "eoneopay", "next_status": {"<operation>": 406}}`` makes the next call of
an operation answer a documented status (a list queues several), for the statuses no
real request can provoke (405, 406...). The call does not act.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections import deque

from werkzeug.wrappers import Request, Response

from providers.base.sandbox import Sandbox, json_response, route
from providers.eoneopay import testdata as data
from providers.eoneopay.testdata import DEMO_CREDENTIALS, TEST_SECRETS

__all__ = ["DEMO_CREDENTIALS", "TEST_SECRETS", "EoneoPaySandbox"]

DOCUMENTED_STATUSES = (400, 401, 403, 404, 405, 406, 410, 429, 500, 503)
STATUS_MESSAGES = {
    400: "The request was invalid.",
    401: "No valid API key provided.",
    403: "An administrator API key is required to manage API keys.",
    404: "The requested resource does not exist.",
    405: "This method is not allowed on this resource.",
    406: "Only JSON answers are available.",
    410: "The requested resource has been removed.",
    429: "Too many requests: slow down.",
    500: "Internal server error: please try again later.",
    503: "The service is temporarily offline for maintenance: please try again later.",
}
CARD_TYPES = {"2": "American Express", "5": "Master Card", "6": "Visa"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EXPIRY_RE = re.compile(r"^(0[1-9]|1[0-2])/\d{2}$")
APPROVED, DECLINED, REFUNDED = "approved", "declined", "refunded"


class EoneoPaySandbox(Sandbox):
    name = "eoneopay"
    prefix = "/eoneopay"

    def reset(self) -> None:
        super().reset()
        self.keys: dict[str, dict] = {
            data.SECRET_KEY: _key_record(data.PUBLIC_KEYS[data.SECRET_KEY], "-", "1"),
            data.ADMIN_KEY: _key_record(data.PUBLIC_KEYS[data.ADMIN_KEY], "+", "1"),
            data.REVOKED_KEY: _key_record(data.PUBLIC_KEYS[data.REVOKED_KEY], "-", "0"),
        }
        self.customers: dict[str, dict] = {}
        self.cards: dict[str, dict] = {}  # token -> card (never the full PAN)
        self.payments: dict[str, dict] = {}  # txnID -> payment
        self.refunds: dict[str, dict] = {}  # txnID -> refund
        self.forced: dict[str, deque[int]] = {}
        self.next_txn = int(data.DEMO_PAYMENT_TXN_ID)
        self._seed()

    def configure(self, options: dict) -> dict:
        result = super().configure(options)
        for operation, statuses in (options.get("next_status") or {}).items():
            queue = statuses if isinstance(statuses, list) else [statuses]
            if operation in self._handlers and all(int(s) in DOCUMENTED_STATUSES for s in queue):
                self.forced.setdefault(operation, deque()).extend(int(s) for s in queue)
        result["next_status"] = {op: list(q) for op, q in self.forced.items() if q}
        return result

    # -- API keys ------------------------------------------------------------------------
    @route("/apikeys", methods=("POST",))
    def api_key_create(self, request: Request) -> Response:
        if (denied := self._guard(request, "api_key_create", admin=True)) is not None:
            return denied
        secret, public = f"sk_test_{_alnum(24)}", f"pk_test_{_alnum(24)}"
        self.keys[secret] = _key_record(public, "-", "1")
        return json_response({"test_secret_key": secret, "test_public_key": public})

    @route("/apikeys/<api_key>", methods=("GET",))
    def api_key_get(self, request: Request, api_key: str) -> Response:
        if (denied := self._guard(request, "api_key_get", admin=True)) is not None:
            return denied
        record = self.keys.get(api_key)
        if record is None:
            return _error(404, "No such API key.")
        return json_response({"api_key": api_key, "permissions": record["permissions"], "status": record["status"]})

    @route("/apikeys/<api_key>", methods=("DELETE",))
    def api_key_revoke(self, request: Request, api_key: str) -> Response:
        if (denied := self._guard(request, "api_key_revoke", admin=True)) is not None:
            return denied
        record = self.keys.get(api_key)
        if record is None:
            return _error(404, "No such API key.")
        if record["status"] == "0":
            return _error(410, "This API key has already been revoked.")
        record["status"] = "0"
        return json_response({"code": 0, "message": "API Key revoked"})

    # -- customers -----------------------------------------------------------------------
    @route("/customers", methods=("POST",))
    def customer_create(self, request: Request) -> Response:
        if (denied := self._guard(request, "customer_create")) is not None:
            return denied
        customer_id = f"cus_{_alnum(16)}"
        record, problem = self._customer_from(request, customer_id)
        if problem:
            return _error(400, problem)
        self._store_customer(record)
        return json_response({"code": 0, "message": "Customer created", "customer": self._view(record)})

    @route("/customers/<customer_id>", methods=("PUT",))
    def customer_update(self, request: Request, customer_id: str) -> Response:
        if (denied := self._guard(request, "customer_update")) is not None:
            return denied
        if (missing := self._missing_customer(customer_id)) is not None:
            return missing
        record, problem = self._customer_from(request, customer_id)
        if problem:
            return _error(400, problem)
        self._store_customer(record)
        return json_response({"code": 0, "message": "Customer updated", "customer": self._view(record)})

    @route("/customers/<customer_id>", methods=("DELETE",))
    def customer_delete(self, request: Request, customer_id: str) -> Response:
        if (denied := self._guard(request, "customer_delete")) is not None:
            return denied
        if (missing := self._missing_customer(customer_id)) is not None:
            return missing
        self.customers[customer_id]["deleted"] = True
        return json_response({"code": 0, "message": "Customer deleted"})

    @route("/customers/<customer_id>", methods=("GET",))
    def customer_get(self, request: Request, customer_id: str) -> Response:
        if (denied := self._guard(request, "customer_get")) is not None:
            return denied
        if (missing := self._missing_customer(customer_id)) is not None:
            return missing
        return json_response(self._view(self.customers[customer_id]))

    @route("/customers", methods=("GET",))
    def customer_list(self, request: Request) -> Response:
        if (denied := self._guard(request, "customer_list")) is not None:
            return denied
        return json_response([self._view(c) for c in self.customers.values() if not c["deleted"]])

    # -- payments ------------------------------------------------------------------------
    @route("/payments", methods=("POST",))
    def payment_create(self, request: Request) -> Response:
        if (denied := self._guard(request, "payment_create")) is not None:
            return denied
        body, problem = _form_json(request, "payment")
        problem = problem or _payment_problem(body)
        if problem:
            return _error(400, problem)
        card = self.cards.get(body["token"])
        if card is None:
            return _error(404, "No card with this token.")
        if self.customers[card["customer_id"]]["deleted"]:
            return _error(410, "The customer holding this card was deleted.")
        if (trigger := _amount_trigger(body["amount"], data.AMOUNT_RATE_LIMITED, data.AMOUNT_UNAVAILABLE)):
            return trigger
        payment = self._charge(card, body)
        if body["amount"] == data.AMOUNT_SERVER_ERROR:
            return _error(500)  # charged, but the answer is lost
        return json_response(_payment_answer(payment))

    @route("/payments/<txn_id>", methods=("DELETE",))
    def payment_refund(self, request: Request, txn_id: str) -> Response:
        if (denied := self._guard(request, "payment_refund")) is not None:
            return denied
        payment = self.payments.get(txn_id)
        if payment is None:
            return _error(404, "No payment with this transaction ID.")
        if payment["status"] == DECLINED:
            return _error(400, "A declined payment cannot be refunded.")
        if payment["status"] == REFUNDED:
            return _error(410, "This payment has already been refunded.")
        trigger = _amount_trigger(payment["amount"], data.AMOUNT_REFUND_RATE_LIMITED, data.AMOUNT_REFUND_UNAVAILABLE)
        if trigger:
            return trigger
        refund = self._refund(payment)
        if payment["amount"] == data.AMOUNT_REFUND_SERVER_ERROR:
            return _error(500)  # refunded, but the answer is lost
        return json_response({
            "code": "00",  # refunds answer the card network's string code (NOTES.md)
            "message": "Payment refunded",
            "txnID": refund["txn_id"],
            "refund": {
                "amount": refund["amount"],
                "currency": refund["currency"],
                "purchaseOrderNo": refund["reference"],
                "txnID": refund["txn_id"],
            },
        })

    # -- checks shared by every route ----------------------------------------------------
    def _guard(self, request: Request, operation: str, *, admin: bool = False) -> Response | None:
        """The answer that stops this call before it acts, or None to go on."""
        key, problem = self._authenticate(request)
        if problem:
            return _error(401, problem, headers={"WWW-Authenticate": 'Basic realm="EoneoPay"'})
        if request.accept_mimetypes and not request.accept_mimetypes.accept_json:
            return _error(406)
        if admin and "+" not in self.keys[key]["permissions"]:
            return _error(403)
        forced = self.forced.get(operation)
        if forced:
            return _error(forced.popleft())
        return None

    def _authenticate(self, request: Request) -> tuple[str | None, str | None]:
        auth = request.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            return None, "No API key provided: send it as the HTTP Basic user name."
        if auth.password:
            return None, "Send the API key as the user name with an empty password."
        key = auth.username
        if key.startswith("sk_live_"):
            return None, "Live keys cannot be used in the sandbox: use an sk_test_ key."
        record = self.keys.get(key)
        if record is None:
            return None, "Invalid API key provided."
        if record["status"] != "1":
            return None, "This API key has been revoked."
        return key, None

    def not_found(self, request: Request) -> Response:
        return _error(404)

    def method_not_allowed(self, request: Request) -> Response:
        return _error(405)

    # -- state ---------------------------------------------------------------------------
    def _missing_customer(self, customer_id: str) -> Response | None:
        customer = self.customers.get(customer_id)
        if customer is None:
            return _error(404, "No customer with this ID.")
        if customer["deleted"]:
            return _error(410, "This customer was deleted.")
        return None

    def _customer_from(self, request: Request, customer_id: str) -> tuple[dict | None, str | None]:
        body, problem = _form_json(request, "customer")
        if problem:
            return None, problem
        problem = _customer_problem(body)
        if problem:
            return None, problem
        cards = []
        for entry in body.get("credit_cards") or []:
            card, problem = self._card_from(entry, customer_id)
            if problem:
                return None, problem
            cards.append(card)
        accounts = []
        for entry in body.get("bank_accounts") or []:
            account, problem = _bank_account_from(entry)
            if problem:
                return None, problem
            accounts.append(account)
        return {
            "id": customer_id, "name": body["name"].strip(), "email": body["email"],
            "address": body.get("address") or "", "cards": cards, "bank_accounts": accounts, "deleted": False,
        }, None

    def _card_from(self, entry: object, customer_id: str) -> tuple[dict | None, str | None]:
        if not isinstance(entry, dict):
            return None, "Each credit card must be an object."
        if "token" in entry:
            card = self.cards.get(str(entry["token"]))
            if card is None or card["customer_id"] != customer_id:
                return None, "A card token in credit_cards does not belong to this customer."
            return card, None
        return _new_card(entry, customer_id)

    def _store_customer(self, record: dict) -> None:
        kept = {card["token"] for card in record["cards"] if card.get("token")}
        for token, card in list(self.cards.items()):
            if card["customer_id"] == record["id"] and token not in kept:
                del self.cards[token]
        for card in record["cards"]:
            if not card.get("token"):
                card["token"] = self._issue_token()
            self.cards[card["token"]] = card
        self.customers[record["id"]] = record

    def _issue_token(self) -> str:
        while True:
            token = "88" + "".join(random.choices(string.digits, k=14))
            if token not in self.cards and token not in TEST_SECRETS:
                return token

    def _next_txn_id(self) -> str:
        self.next_txn += 1
        return str(self.next_txn)

    def _charge(self, card: dict, body: dict) -> dict:
        code, message = card["response"] or (0, "Payment created")
        payment = {
            "txn_id": self._next_txn_id(), "token": card["token"], "amount": body["amount"],
            "currency": body["currency"], "reference": body["reference"],
            "status": DECLINED if card["response"] else APPROVED, "code": code, "message": message,
        }
        self.payments[payment["txn_id"]] = payment
        return payment

    def _refund(self, payment: dict) -> dict:
        refund = {
            "txn_id": self._next_txn_id(), "payment_txn_id": payment["txn_id"], "amount": payment["amount"],
            "currency": payment["currency"], "reference": payment["reference"],
        }
        payment["status"] = REFUNDED
        self.refunds[refund["txn_id"]] = refund
        return refund

    def _view(self, customer: dict) -> dict:
        """A customer as EoneoPay shows it: masked PANs and tokens, never a card number."""
        return {
            "name": customer["name"],
            "email": customer["email"],
            "address": customer["address"],
            "credit_cards": [
                {
                    "token": card["token"],
                    "creditCardInfo": {
                        "pan": card["pan"],
                        "expiryDate": card["expiry_date"],
                        "cardType": card["card_type"],
                        "cardDescription": CARD_TYPES[card["card_type"]],
                    },
                }
                for card in customer["cards"]
            ],
            "bank_accounts": [dict(account) for account in customer["bank_accounts"]],
            "id": customer["id"],
        }

    def _seed(self) -> None:
        customer_id = data.DEMO_CUSTOMER_ID
        visa, _ = _new_card({"number": data.CARD_APPROVED_VISA, "expiry_date": "12/30", "cvv": "123"}, customer_id)
        declining, _ = _new_card(
            {"number": data.CARD_INSUFFICIENT_FUNDS, "expiry_date": "06/29", "cvv": "456"}, customer_id
        )
        visa["token"], declining["token"] = data.DEMO_TOKEN_VISA, data.DEMO_TOKEN_DECLINING
        self._store_customer({
            "id": customer_id, "name": "Demo Customer", "email": "demo.customer@example.test",
            "address": "1 Sandbox Street\nSydney NSW 2000", "cards": [visa, declining],
            "bank_accounts": [{"name": "Demo Customer", "number": "12345678", "branch": "012003"}],
            "deleted": False,
        })
        self.next_txn = int(data.DEMO_PAYMENT_TXN_ID) - 1
        self._charge(visa, {"amount": 74200, "currency": "AUD", "reference": "Demo order 1001"})


# -- validation --------------------------------------------------------------------------
def _form_json(request: Request, field: str) -> tuple[dict, str | None]:
    raw = request.form.get(field)
    if raw is None:
        return {}, f"Send the {field} as the form field {field}=<JSON>."
    try:
        body = json.loads(raw)
    except ValueError:
        return {}, f"The {field} field is not valid JSON."
    if not isinstance(body, dict):
        return {}, f"The {field} field must hold a JSON object."
    return body, None


def _customer_problem(body: dict) -> str | None:
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        return "The customer's name is required."
    if not isinstance(body.get("email"), str) or not EMAIL_RE.match(body["email"]):
        return "The customer's email address is not valid."
    if not isinstance(body.get("address", ""), str):
        return "The customer's address must be text."
    for key in ("credit_cards", "bank_accounts"):
        if not isinstance(body.get(key) or [], list):
            return f"{key} must be a list."
    return None


def _new_card(entry: dict, customer_id: str) -> tuple[dict | None, str | None]:
    number = re.sub(r"[\s-]", "", str(entry.get("number", "")))
    if not number.isdigit() or not 13 <= len(number) <= 19 or not _luhn_ok(number):
        return None, "The card number is not valid."
    card_type = _card_type(number)
    if card_type is None:
        return None, "Only Visa, Master Card and American Express cards are accepted."
    expiry = entry.get("expiry_date")
    if not isinstance(expiry, str) or not EXPIRY_RE.match(expiry):
        return None, "The card's expiry date must be MM/YY."
    cvv = str(entry.get("cvv", ""))
    if not cvv.isdigit() or len(cvv) != (4 if card_type == "2" else 3):
        return None, "The card's CVV is not valid."
    return {
        "token": None, "customer_id": customer_id, "pan": _mask(number), "expiry_date": expiry,
        "card_type": card_type, "response": data.CARD_RESPONSES.get(number),
    }, None


def _bank_account_from(entry: object) -> tuple[dict | None, str | None]:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
        return None, "Each bank account needs a name."
    number = str(entry.get("number", ""))
    branch = str(entry.get("branch", ""))
    branch = branch.zfill(6) if isinstance(entry.get("branch"), int) else branch
    if not number.isdigit() or not 5 <= len(number) <= 10:
        return None, "A bank account number must have 5 to 10 digits."
    if not branch.isdigit() or len(branch) != 6:
        return None, "A bank account branch (BSB) must have 6 digits."
    return {"name": entry["name"], "number": number, "branch": branch}, None


def _payment_problem(body: dict) -> str | None:
    if not isinstance(body.get("token"), str) or not body["token"]:
        return "The payment needs the token of a card."
    amount = body.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= data.MAX_AMOUNT:
        return f"The amount must be whole cents between 1 and {data.MAX_AMOUNT}."
    if body.get("currency") != "AUD":
        return "The currency must be AUD."
    reference = body.get("reference")
    if not isinstance(reference, str) or not 0 < len(reference.strip()) <= 60:
        return "The payment needs a reference of at most 60 characters."
    return None


def _amount_trigger(amount: int, rate_limited: int, unavailable: int) -> Response | None:
    if amount == rate_limited:
        return _error(429)
    if amount == unavailable:
        return _error(503)
    return None


def _payment_answer(payment: dict) -> dict:
    return {
        "code": payment["code"],
        "message": payment["message"],
        "txnID": payment["txn_id"],
        "payment": {
            "token": payment["token"],
            "reference": payment["reference"],
            "amount": payment["amount"],
            "currency": payment["currency"],
            "txnID": payment["txn_id"],
        },
    }


def _card_type(number: str) -> str | None:
    if number[:2] in ("34", "37"):
        return "2"
    if "51" <= number[:2] <= "55" or "2221" <= number[:4] <= "2720":
        return "5"
    if number.startswith("4"):
        return "6"
    return None


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(number)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _mask(number: str) -> str:
    """First six, X's, last three: the shape of the doc's examples (555903XXXXXXX199)."""
    return number[:6] + "X" * (len(number) - 9) + number[-3:]


def _key_record(public: str, permissions: str, status: str) -> dict:
    return {"public": public, "permissions": permissions, "status": status}


def _alnum(length: int) -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=length))


def _error(status: int, message: str | None = None, headers: dict | None = None) -> Response:
    return json_response({"code": status, "message": message or STATUS_MESSAGES[status]}, status, headers)
