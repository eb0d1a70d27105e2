"""The EnKash sandbox: the token call as EnKash documents it, and the rest of the public
API in the shapes this package chose (README), with in-memory state.

Payments go pending and complete ``completion_delay`` seconds later (timers, and lazily
on every call), refunds and settlement payouts too; every payment status change is
notified to the order's ``notifyUrl``. A few sandbox-only routes under ``/_simulate/``
and the hosted checkout page stand in for the payer, who the sandbox cannot reach.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import secrets
import time
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from providers.base.redaction import mask_pan
from providers.base.sandbox import Sandbox, json_response, route
from providers.enkash import codes
from providers.enkash import sandbox_render as render
from providers.enkash.sandbox_data import (
    AMOUNT_OUTCOMES,
    BANKS,
    BNPL_OPTIONS,
    CARDS,
    DEMO_CREDENTIALS,
    DEMO_MERCHANT,
    EXPIRED_CARD,
    GST_RATE,
    INVALID_VPA,
    LATER_SUCCESS,
    MAX_ORDER_AMOUNT,
    MDR_RATE,
    MERCHANTS,
    SUCCESS,
    TEST_SECRETS,
    TPV_MISMATCH,
    UNKNOWN_BANK,
    UNKNOWN_CARD,
    UNKNOWN_VPA,
    VPAS,
    WALLETS,
    Outcome,
    TestMerchant,
    notify_checksum,
)

__all__ = ["DEMO_CREDENTIALS", "TEST_SECRETS", "EnKashSandbox"]

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


class _Reject(Exception):
    """A failure answer in EnKash's envelope, raised from anywhere in a handler."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def api(fn):
    """An authenticated EnKash call: advance due transitions, check the token, answer
    failures in the envelope."""

    @functools.wraps(fn)
    def handler(self: EnKashSandbox, request: Request, **values):
        self._advance()
        try:
            return fn(self, request, self._authenticate(request), **values)
        except _Reject as r:
            return self._fail(r.code, r.message)

    return handler


def _money(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Reject(codes.INVALID_REQUEST, f"{what} must be a decimal amount.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _Reject(codes.INVALID_REQUEST, f"{what} must be a decimal amount.") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or amount < PAISE:
        raise _Reject(codes.INVALID_REQUEST, f"{what} must be at least 0.01 with at most two decimals.")
    return amount.quantize(PAISE)


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, IST).isoformat(timespec="seconds")


def _rupees(amount: Decimal) -> str:
    return f"{amount.quantize(PAISE):.2f}"


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _text(body: dict, key: str, *, required: bool = True, max_length: int = 255) -> str | None:
    value = body.get(key)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise _Reject(codes.INVALID_REQUEST, f"{key} is required (text of at most {max_length} characters).")
    return value.strip()


class EnKashSandbox(Sandbox):
    name = "enkash"
    prefix = "/enkash"
    token_ttl = 1800.0  # seconds a token lives
    order_ttl = 1800.0  # seconds an order can be paid

    # -- state ------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self.completion_delay = type(self).completion_delay
        self.token_ttl, self.order_ttl = type(self).token_ttl, type(self).order_ttl
        self.reject_tokens = False  # every bearer token answered 401
        self.errors_as_http_200 = False  # failures under HTTP 200 (envelope code only)
        self.merchants: dict[str, TestMerchant] = {m.access_key: m for m in MERCHANTS}
        self.inactive = {m.access_key for m in MERCHANTS if not m.active}
        self.tokens: dict[str, dict] = {}
        self.orders: dict[tuple[str, str], dict] = {}
        self.orders_by_enkash_id: dict[str, tuple[str, str]] = {}
        self.transactions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.refund_requests: dict[tuple[str, str], str] = {}
        self.payouts: dict[str, dict] = {}
        self.carry_forward: dict[str, Decimal] = {}
        self.qr_codes: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self._seed()

    def configure(self, options: dict) -> dict:
        """Options: completion_delay, token_ttl, order_ttl (seconds), reject_tokens,
        errors_as_http_200 (booleans), revoke_tokens (forget every issued token),
        deactivate / activate (an access key)."""
        result = super().configure(options)
        for key in ("token_ttl", "order_ttl"):
            if key in options:
                setattr(self, key, float(options[key]))
        for key in ("reject_tokens", "errors_as_http_200"):
            if key in options:
                setattr(self, key, bool(options[key]))
        if options.get("revoke_tokens"):
            self.tokens.clear()
        if options.get("deactivate"):
            self.inactive.add(options["deactivate"])
        if options.get("activate"):
            self.inactive.discard(options["activate"])
        return {**result, "token_ttl": self.token_ttl, "order_ttl": self.order_ttl,
                "reject_tokens": self.reject_tokens, "errors_as_http_200": self.errors_as_http_200}

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):012d}"

    def _seed(self) -> None:
        """Two past settlement payouts of the demo merchant: one paid, one failed."""
        m = DEMO_MERCHANT
        now = time.time()
        for batch, amounts, days_ago, status in (
            (1, ("1500.00", "2499.50"), 3, "SUCCESS"),
            (2, ("800.00",), 2, "FAILED"),
        ):
            for i, amount in enumerate(amounts, 1):
                paid_at = now - days_ago * 86400
                order = self._new_order(m, f"SEED{batch}{i:03d}", Decimal(amount), {}, created=paid_at)
                self._new_txn(m, order, "UPI", SUCCESS, None).update(createdAt=paid_at, updatedAt=paid_at)
            payout = self._settle(m, at=now - (days_ago - 1) * 86400)
            payout.update(payoutStatus=status, due_at=None, utr=f"HDFCN{batch:012d}" if status == "SUCCESS" else None)

    # -- envelope ---------------------------------------------------------------------
    def _ok(self, payload: Any) -> Response:
        return json_response({"response_code": codes.OK, "response_message": "SUCCESS", "payload": payload})

    def _fail(self, code: int, message: str) -> Response:
        status = 200 if self.errors_as_http_200 else codes.FAILURES[code].http_status
        return json_response({"response_code": code, "response_message": message, "payload": None}, status)

    @staticmethod
    def _json(request: Request) -> dict:
        try:
            data = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            raise _Reject(codes.INVALID_REQUEST, "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise _Reject(codes.INVALID_REQUEST, "The request body must be a JSON object.")
        return data

    # -- authorization ----------------------------------------------------------------
    @route("/api/v0/merchant/token", methods=("POST",))
    def authorization_token(self, request: Request) -> Response:
        try:
            body = self._json(request)
        except _Reject as r:
            return self._token_failure(r.code, r.message)
        access_key, secret_key = body.get("accessKey"), body.get("secretKey")
        if not isinstance(access_key, str) or not isinstance(secret_key, str) or not access_key or not secret_key:
            return self._token_failure(codes.INVALID_REQUEST, "accessKey and secretKey are required.")
        merchant = self.merchants.get(access_key)
        if merchant is None or not secrets.compare_digest(merchant.secret_key, secret_key):
            return self._token_failure(codes.INVALID_CREDENTIALS, "Invalid accessKey or secretKey.")
        if access_key in self.inactive:
            return self._token_failure(codes.MERCHANT_INACTIVE, "Merchant account is inactive.")
        token, expires_at = f"ekt_{secrets.token_urlsafe(24)}", time.time() + self.token_ttl
        self.tokens[token] = {"merchant": access_key, "expires_at": expires_at}
        return json_response(
            {"token": token, "expiry": int(expires_at * 1000), "resultCode": codes.OK, "resultMessage": "SUCCESS"}
        )

    def _token_failure(self, code: int, message: str) -> Response:
        status = 200 if self.errors_as_http_200 else codes.FAILURES[code].http_status
        return json_response({"token": None, "expiry": 0, "resultCode": code, "resultMessage": message}, status)

    def _authenticate(self, request: Request) -> TestMerchant:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise _Reject(codes.TOKEN_REJECTED, "Authorization: Bearer <token> is required.")
        entry = None if self.reject_tokens else self.tokens.get(token)
        if entry is None:
            raise _Reject(codes.TOKEN_REJECTED, "Invalid token.")
        if time.time() >= entry["expires_at"]:
            raise _Reject(codes.TOKEN_REJECTED, "Token expired.")
        if request.headers.get("merchantAccessKey") != entry["merchant"]:
            raise _Reject(codes.ACCESS_KEY_MISMATCH, "merchantAccessKey does not match the token.")
        if entry["merchant"] in self.inactive:
            raise _Reject(codes.MERCHANT_INACTIVE, "Merchant account is inactive.")
        return self.merchants[entry["merchant"]]

    # -- orders -----------------------------------------------------------------------
    @route("/api/v0/orders", methods=("POST",))
    @api
    def create_order(self, request: Request, merchant: TestMerchant) -> Response:
        body = self._json(request)
        order_id = body.get("orderId")
        if not isinstance(order_id, str) or not ORDER_ID_RE.match(order_id):
            raise _Reject(codes.INVALID_REQUEST, "orderId must be 1 to 40 letters and digits.")
        amount = self._amount_object(body.get("amount"), "amount")
        if amount > MAX_ORDER_AMOUNT:
            raise _Reject(codes.INVALID_REQUEST, f"amount exceeds the per-order limit of {MAX_ORDER_AMOUNT} INR.")
        details = self._order_details(body)
        if (merchant.access_key, order_id) in self.orders:
            raise _Reject(codes.DUPLICATE_ORDER_ID, f"Order {order_id} already exists.")
        order = self._new_order(merchant, order_id, amount, details, root=request.url_root)
        return self._ok(self._order_payload(order))

    @staticmethod
    def _amount_object(value: object, what: str) -> Decimal:
        if not isinstance(value, dict):
            raise _Reject(codes.INVALID_REQUEST, f"{what} must be an object {{value, currency}}.")
        if value.get("currency") != "INR":
            raise _Reject(codes.INVALID_REQUEST, f"{what}.currency must be INR.")
        return _money(value.get("value"), f"{what}.value")

    @staticmethod
    def _order_details(body: dict) -> dict:
        for key in ("returnUrl", "notifyUrl"):
            if not isinstance(body.get(key), str) or not URL_RE.match(body[key]):
                raise _Reject(codes.INVALID_REQUEST, f"{key} must be an http(s) URL.")
        customer = body.get("customerInfo") or {}
        params = body.get("customParameters") or {}
        if not isinstance(customer, dict) or not isinstance(params, dict):
            raise _Reject(codes.INVALID_REQUEST, "customerInfo and customParameters must be objects.")
        if customer.get("email") and not EMAIL_RE.match(str(customer["email"])):
            raise _Reject(codes.INVALID_REQUEST, "customerInfo.email is not an email address.")
        if customer.get("phoneNumber") and not MOBILE_RE.match(str(customer["phoneNumber"])):
            raise _Reject(codes.INVALID_REQUEST, "customerInfo.phoneNumber must be a 10-digit Indian mobile number.")
        if len(params) > 10 or not all(isinstance(v, str) for v in params.values()):
            raise _Reject(codes.INVALID_REQUEST, "customParameters takes at most 10 text values.")
        return {"returnUrl": body["returnUrl"], "notifyUrl": body["notifyUrl"], "customerInfo": customer,
                "customParameters": params, "description": _text(body, "description", required=False)}

    def _new_order(self, merchant, order_id, amount, details, *, root: str = "", created: float | None = None):
        created = time.time() if created is None else created
        enkash_id = self._id("EKO")
        order = {
            "merchant": merchant.access_key, "orderId": order_id, "enkashOrderId": enkash_id, "amount": amount,
            "returnUrl": None, "notifyUrl": None, "customerInfo": {}, "customParameters": {}, "description": None,
            **details, "createdAt": created, "expiresAt": created + self.order_ttl, "transactions": [],
            "cancelled": False, "checkoutRendered": False, "upiTxn": None,
            "checkoutUrl": f"{root}pay/checkout/{enkash_id}" if root else None,
        }
        self.orders[(merchant.access_key, order_id)] = order
        self.orders_by_enkash_id[enkash_id] = (merchant.access_key, order_id)
        return order

    def _order(self, merchant: TestMerchant, order_id: object) -> dict:
        order = self.orders.get((merchant.access_key, order_id)) if isinstance(order_id, str) else None
        if order is None:
            raise _Reject(codes.ORDER_NOT_FOUND, f"Order {order_id} not found.")
        return order

    def _order_status(self, order: dict) -> str:
        statuses = {self.transactions[t]["status"] for t in order["transactions"]}
        if statuses & set(PAID):
            return "PAID"
        if order["cancelled"]:
            return "CANCELLED"
        if statuses & {"PENDING_WITH_BANK", "AUTHORIZED"}:
            return "PAYMENT_CONFIRMATION_PENDING"
        if time.time() >= order["expiresAt"]:
            return "EXPIRED"
        if statuses & {"FAILED", "CANCELLED"}:
            return "ATTEMPTED"
        return "CHECKOUT_RENDERED" if order["checkoutRendered"] else "CREATED"

    def _ensure_payable(self, order: dict) -> None:
        status = self._order_status(order)
        if status not in PAYABLE:
            raise _Reject(codes.ORDER_NOT_PAYABLE, f"Order {order['orderId']} is {status} and cannot be paid.")

    def _order_payload(self, order: dict) -> dict:
        return {
            "orderId": order["orderId"],
            "enkashOrderId": order["enkashOrderId"],
            "amount": {"value": _rupees(order["amount"]), "currency": "INR"},
            "status": self._order_status(order),
            "checkoutUrl": order["checkoutUrl"],
            "description": order["description"],
            "customerInfo": order["customerInfo"],
            "customParameters": order["customParameters"],
            "createdAt": _iso(order["createdAt"]),
            "expiresAt": _iso(order["expiresAt"]),
            "transactions": [self._txn_payload(self.transactions[t]) for t in order["transactions"]],
        }

    @route("/api/v0/orders/<order_id>", methods=("GET",))
    @api
    def order_status(self, request: Request, merchant: TestMerchant, order_id: str) -> Response:
        return self._ok(self._order_payload(self._order(merchant, order_id)))

    @route("/api/v0/orders/<order_id>/bnpl-payment-modes", methods=("GET",))
    @api
    def bnpl_payment_modes(self, request: Request, merchant: TestMerchant, order_id: str) -> Response:
        order = self._order(merchant, order_id)
        self._ensure_payable(order)
        modes = [
            {"bnplPaymentOptionId": o["bnplPaymentOptionId"], "provider": o["provider"],
             "displayName": o["displayName"], "minAmount": _rupees(o["minAmount"]),
             "maxAmount": _rupees(o["maxAmount"]), "eligible": o["minAmount"] <= order["amount"] <= o["maxAmount"]}
            for o in BNPL_OPTIONS
        ]
        return self._ok({"orderId": order_id, "paymentModes": modes})

    # -- payments ---------------------------------------------------------------------
    @route("/api/v0/payment/submit", methods=("POST",))
    @api
    def submit_payment_detail(self, request: Request, merchant: TestMerchant) -> Response:
        body = self._json(request)
        order = self._order(merchant, body.get("orderId"))
        mode = body.get("paymentMode")
        if mode not in PAYMENT_MODES:
            raise _Reject(codes.INVALID_REQUEST, f"paymentMode must be one of {', '.join(PAYMENT_MODES)}.")
        if mode in merchant.disabled_modes:
            raise _Reject(codes.PAYMENT_MODE_DISABLED, f"{mode} is not enabled for this merchant.")
        detail = body.get("paymentDetail")
        amount = self._amount_object(
            {"value": detail.get("amount"), "currency": detail.get("currency")} if isinstance(detail, dict) else None,
            "paymentDetail",
        )
        outcome, masked = self._instrument(mode, body, order)
        self._ensure_payable(order)
        if amount != order["amount"]:
            raise _Reject(codes.AMOUNT_MISMATCH, f"paymentDetail.amount must be {_rupees(order['amount'])}.")
        outcome = AMOUNT_OUTCOMES.get(order["amount"], outcome)
        txn = self._new_txn(merchant, order, mode, outcome, masked)
        return self._ok(self._txn_payload(txn))

    def _instrument(self, mode: str, body: dict, order: dict) -> tuple[Outcome, str | None]:
        """Check the payment mode's fields; the bank's answer and the masked card."""
        if mode in CARD_MODES:
            return self._card(body.get("cardDetail"))
        if mode == "UPI":
            vpa = body.get("vpa")
            if not isinstance(vpa, str) or not VPA_RE.match(vpa) or vpa.lower() == INVALID_VPA:
                raise _Reject(codes.INVALID_REQUEST, "vpa is not a valid UPI id.")
            return VPAS.get(vpa.lower(), UNKNOWN_VPA), None
        if mode == "PAY_LATER":
            return self._bnpl(body.get("bnplPaymentOptionId"), order), None
        bank = _text(body, "bankCode", max_length=20).upper()
        if mode == "WALLET":
            return WALLETS.get(bank, UNKNOWN_BANK), None
        return self._net_banking(bank, body), None

    @staticmethod
    def _card(card: object) -> tuple[Outcome, str]:
        if not isinstance(card, dict):
            raise _Reject(codes.INVALID_REQUEST, "cardDetail is required for card payments.")
        number = str(card.get("cardNumber") or "")
        if not number.isdigit() or not 13 <= len(number) <= 19 or not _luhn(number):
            raise _Reject(codes.INVALID_REQUEST, "cardDetail.cardNumber is not a valid card number.")
        if not re.fullmatch(r"\d{3,4}", str(card.get("cvv") or "")):
            raise _Reject(codes.INVALID_REQUEST, "cardDetail.cvv must be 3 or 4 digits.")
        expiry = re.fullmatch(r"(0[1-9]|1[0-2])/(\d{2})", str(card.get("expiry") or ""))
        if not expiry:
            raise _Reject(codes.INVALID_REQUEST, "cardDetail.expiry must be MM/YY.")
        _text(card, "cardHolderName", max_length=100)
        month, year = int(expiry.group(1)), 2000 + int(expiry.group(2))
        today = datetime.now(IST).date()
        expired = (year, month) < (today.year, today.month)
        return (EXPIRED_CARD if expired else CARDS.get(number, UNKNOWN_CARD)), mask_pan(number)

    @staticmethod
    def _bnpl(option_id: object, order: dict) -> Outcome:
        for option in BNPL_OPTIONS:
            if option["bnplPaymentOptionId"] == option_id:
                if option["minAmount"] <= order["amount"] <= option["maxAmount"]:
                    return option["outcome"]
                break
        raise _Reject(codes.BNPL_OPTION_UNAVAILABLE, f"Pay-later option {option_id} is not available for this order.")

    @staticmethod
    def _net_banking(bank: str, body: dict) -> Outcome:
        account, ifsc = body.get("accountNumber"), body.get("ifsc")
        if account is None and ifsc is None:
            return BANKS.get(bank, UNKNOWN_BANK)
        if not re.fullmatch(r"\d{9,18}", str(account or "")):
            raise _Reject(codes.INVALID_REQUEST, "accountNumber must be 9 to 18 digits.")
        if not isinstance(ifsc, str) or not IFSC_RE.match(ifsc):
            raise _Reject(codes.INVALID_REQUEST, "ifsc must match ^[A-Z]{4}0[A-Z0-9]{6}$.")
        return BANKS.get(bank, UNKNOWN_BANK) if ifsc[:4] == bank else TPV_MISMATCH

    def _new_txn(self, merchant, order, mode, outcome: Outcome | None, masked, *, qr: dict | None = None) -> dict:
        now = time.time()
        txn = {
            "transactionId": self._id("EKT"), "merchant": merchant.access_key, "paymentMode": mode,
            "orderKey": (merchant.access_key, order["orderId"]) if order else None,
            "orderId": order["orderId"] if order else None,
            "enkashOrderId": order["enkashOrderId"] if order else None,
            "qrCodeId": qr["qrCodeId"] if qr else None,
            "amount": order["amount"] if order else None, "status": "CREATED", "maskedCardNumber": masked,
            "bankRefNo": None, "errorMessage": None, "createdAt": now, "updatedAt": now, "final": None,
            "due_at": None, "reason": None, "refundsFail": False, "refunded": Decimal(0), "reserved": Decimal(0),
            "refunds": [], "settled": False,
        }
        self.transactions[txn["transactionId"]] = txn
        if order:
            order["transactions"].append(txn["transactionId"])
        if outcome is not None:
            self._start(txn, outcome)
        return txn

    def _start(self, txn: dict, outcome: Outcome) -> None:
        """Hand the payment to the (simulated) bank."""
        txn.update(refundsFail=outcome.refunds_fail, reason=outcome.reason, final=outcome.final)
        if outcome.final:
            txn["due_at"] = time.time() + self.completion_delay
            self.later(self.completion_delay, self._advance)
        self._move(txn, outcome.first)

    def _move(self, txn: dict, status: str) -> None:
        if txn["status"] == status:
            return
        txn.update(status=status, updatedAt=time.time())
        if status == "SUCCESS":
            txn["bankRefNo"] = txn["bankRefNo"] or f"{next(self._ids):012d}"
            self._close_other_attempts(txn)
        if status == "FAILED":
            txn["errorMessage"] = txn["reason"] or "Declined by the bank."
        if status != "PENDING_WITH_BANK":
            self._notify(txn)

    def _close_other_attempts(self, paid: dict) -> None:
        """Once an order is paid, its unused UPI link / QR attempt can no longer be paid."""
        order = self.orders.get(paid["orderKey"]) if paid["orderKey"] else None
        for txn_id in order["transactions"] if order else ():
            txn = self.transactions[txn_id]
            if txn is not paid and txn["status"] == "CREATED":
                txn.update(status="CANCELLED", updatedAt=time.time())

    def _advance(self) -> None:
        """Complete whatever is due: payments, refunds, settlement payouts."""
        now = time.time()
        for txn in self.transactions.values():
            if txn["due_at"] is not None and txn["due_at"] <= now:
                txn["due_at"] = None
                self._move(txn, txn["final"])
        for refund in self.refunds.values():
            if refund["due_at"] is not None and refund["due_at"] <= now:
                self._finish_refund(refund)
        for payout in self.payouts.values():
            if payout["due_at"] is not None and payout["due_at"] <= now:
                payout.update(due_at=None, payoutStatus="SUCCESS", utr=f"HDFCN{next(self._ids):012d}")

    def _txn_payload(self, txn: dict, *, with_refunds: bool = False) -> dict:
        payload = {
            "transactionId": txn["transactionId"], "orderId": txn["orderId"], "enkashOrderId": txn["enkashOrderId"],
            "qrCodeId": txn["qrCodeId"], "amount": {"value": _rupees(txn["amount"]), "currency": "INR"},
            "status": txn["status"], "paymentMode": txn["paymentMode"], "refundedAmount": _rupees(txn["refunded"]),
            "maskedCardNumber": txn["maskedCardNumber"], "bankRefNo": txn["bankRefNo"],
            "errorMessage": txn["errorMessage"], "redirectUrl": None,
            "createdAt": _iso(txn["createdAt"]), "updatedAt": _iso(txn["updatedAt"]),
        }
        if with_refunds:
            payload["refunds"] = [self._refund_payload(self.refunds[r]) for r in txn["refunds"]]
        return payload

    def _txn(self, merchant: TestMerchant, transaction_id: str) -> dict:
        txn = self.transactions.get(transaction_id)
        if txn is None or txn["merchant"] != merchant.access_key:
            raise _Reject(codes.TRANSACTION_NOT_FOUND, f"Transaction {transaction_id} not found.")
        return txn

    @route("/api/v0/payment/<transaction_id>", methods=("GET",))
    @api
    def transaction_status(self, request: Request, merchant: TestMerchant, transaction_id: str) -> Response:
        return self._ok(self._txn_payload(self._txn(merchant, transaction_id), with_refunds=True))

    def _notify(self, txn: dict) -> None:
        order = self.orders.get(txn["orderKey"]) if txn["orderKey"] else None
        if not order or not order["notifyUrl"]:
            return
        status = "SUCCESS" if txn["status"] in PAID else "FAILED" if txn["status"] in ("FAILED", "CANCELLED") else (
            "PENDING")
        body = {
            "orderId": order["orderId"], "enkashOrderId": order["enkashOrderId"],
            "transactionId": txn["transactionId"], "amount": _rupees(txn["amount"]), "currency": "INR",
            "paymentMode": txn["paymentMode"], "status": status, "orderStatus": self._order_status(order),
            "transactionStatus": txn["status"], "maskedCardNumber": txn["maskedCardNumber"],
            "bankRefNo": txn["bankRefNo"], "errorMessage": txn["errorMessage"], "timestamp": _iso(time.time()),
        }
        body["checksum"] = notify_checksum(body, self.merchants[txn["merchant"]].secret_key)
        self.send_callback(order["notifyUrl"], body)

    # -- refunds ----------------------------------------------------------------------
    @route("/api/v0/payment/<transaction_id>/refund", methods=("POST",))
    @api
    def refund(self, request: Request, merchant: TestMerchant, transaction_id: str) -> Response:
        body = self._json(request)
        txn = self._txn(merchant, transaction_id)
        amount = _money(body.get("amount"), "amount")
        request_id = body.get("requestId")
        if not isinstance(request_id, str) or not REQUEST_ID_RE.match(request_id):
            raise _Reject(codes.INVALID_REQUEST, "requestId must be 1 to 64 letters, digits, - or _.")
        earlier = self.refund_requests.get((merchant.access_key, request_id))
        if earlier is not None:
            return self._ok(self._repeat_refund(self.refunds[earlier], txn, amount))
        if txn["status"] not in PAID:
            raise _Reject(codes.NOT_REFUNDABLE, f"Transaction {transaction_id} is {txn['status']}.")
        if amount > txn["amount"] - txn["reserved"]:
            left = _rupees(txn["amount"] - txn["reserved"])
            raise _Reject(codes.REFUND_EXCEEDS_BALANCE, f"At most {left} INR can still be refunded.")
        refund = self._new_refund(merchant, txn, amount, request_id, _text(body, "remarks", required=False))
        return self._ok(self._refund_payload(refund))

    def _repeat_refund(self, refund: dict, txn: dict, amount: Decimal) -> dict:
        """The same requestId again: the refund already made, if it is the same refund."""
        if refund["transactionId"] != txn["transactionId"] or refund["amount"] != amount:
            message = f"requestId {refund['requestId']} was used for another refund."
            raise _Reject(codes.REFUND_REQUEST_CONFLICT, message)
        return self._refund_payload(refund)

    def _new_refund(self, merchant, txn, amount, request_id, remarks) -> dict:
        now = time.time()
        refund = {
            "refundId": self._id("EKR"), "requestId": request_id, "transactionId": txn["transactionId"],
            "merchant": merchant.access_key, "amount": amount, "status": "CREATED", "remarks": remarks,
            "arn": None, "createdAt": now, "due_at": now + self.completion_delay, "settled": False,
        }
        self.refunds[refund["refundId"]] = refund
        self.refund_requests[(merchant.access_key, request_id)] = refund["refundId"]
        txn["reserved"] += amount
        txn["refunds"].append(refund["refundId"])
        self.later(self.completion_delay, self._advance)
        return refund

    def _finish_refund(self, refund: dict) -> None:
        txn = self.transactions[refund["transactionId"]]
        refund["due_at"] = None
        if txn["refundsFail"]:
            refund["status"] = "FAILED"
            txn["reserved"] -= refund["amount"]
            return
        refund.update(status="SUCCESS", arn=f"ARN{next(self._ids):012d}")
        txn["refunded"] += refund["amount"]
        self._move(txn, "REFUNDED" if txn["refunded"] >= txn["amount"] else "PARTIALLY_REFUNDED")

    def _refund_payload(self, refund: dict) -> dict:
        txn = self.transactions[refund["transactionId"]]
        return {
            "refundId": refund["refundId"], "requestId": refund["requestId"], "transactionId": txn["transactionId"],
            "orderId": txn["orderId"], "refundAmount": _rupees(refund["amount"]),
            "transactionAmount": _rupees(txn["amount"]), "totalRefundedAmount": _rupees(txn["refunded"]),
            "status": refund["status"], "remarks": refund["remarks"], "arn": refund["arn"],
            "refundMode": "SOURCE", "createdAt": _iso(refund["createdAt"]),
        }

    # -- UPI: intent links and the order's dynamic QR -----------------------------------
    def _upi_attempt(self, merchant: TestMerchant, order: dict) -> tuple[dict, str]:
        """The order's open UPI attempt (made on first ask) and its upi:// query."""
        self._ensure_payable(order)
        txn = self.transactions.get(order["upiTxn"] or "")
        if txn is None or txn["status"] != "CREATED":
            txn = self._new_txn(merchant, order, "UPI", None, None)
            order["upiTxn"] = txn["transactionId"]
        query = render.upi_query(
            payee_vpa=merchant.upi_id, payee_name=merchant.name, reference=txn["transactionId"],
            note=f"Order {order['orderId']}", amount=order["amount"],
        )
        return txn, query

    @route("/api/v0/payment-link/upi-intent/<order_id>", methods=("GET",))
    @api
    def upi_intent_link(self, request: Request, merchant: TestMerchant, order_id: str) -> Response:
        order = self._order(merchant, order_id)
        txn, query = self._upi_attempt(merchant, order)
        return self._ok({
            "orderId": order_id, "transactionId": txn["transactionId"], "amount": _rupees(order["amount"]),
            "intentLinks": render.intent_links(query), "expiry": _iso(order["expiresAt"]),
        })

    @route("/pay/checkout/qrcode/<order_id>", methods=("GET",))
    @api
    def dynamic_qr_code(self, request: Request, merchant: TestMerchant, order_id: str) -> Response:
        order = self._order(merchant, order_id)
        txn, query = self._upi_attempt(merchant, order)
        upi_url = f"upi://pay?{query}"
        return self._ok({
            "orderId": order_id, "transactionId": txn["transactionId"], "amount": _rupees(order["amount"]),
            "upiUrl": upi_url, "qrCodeBase64": render.qr_png_base64(upi_url), "expiry": _iso(order["expiresAt"]),
        })

    # -- settlements ------------------------------------------------------------------
    def _settle(self, merchant: TestMerchant, *, at: float | None = None) -> dict | None:
        """One payout of everything paid and refunded since the last one."""
        ak, at = merchant.access_key, time.time() if at is None else at
        sales = [t for t in self.transactions.values() if t["merchant"] == ak and t["status"] in PAID
                 and not t["settled"]]
        refunds = [r for r in self.refunds.values() if r["merchant"] == ak and r["status"] == "SUCCESS"
                   and not r["settled"]]
        if not sales and not refunds:
            return None
        lines = [self._sale_line(t) for t in sales] + [self._refund_line(r) for r in refunds]
        for item in (*sales, *refunds):
            item["settled"] = True
        total = {k: sum((line[k] for line in lines if line["type"] == t), Decimal(0))
                 for k, t in (("amount", "SALE"), ("charges", "SALE"), ("gst", "SALE"))}
        refunded = sum((line["amount"] for line in lines if line["type"] == "REFUND"), Decimal(0))
        carry = self.carry_forward.pop(ak, Decimal(0))
        net = total["amount"] - refunded - total["charges"] - total["gst"] + carry
        if net < 0:
            self.carry_forward[ak] = net
        payout = {
            "id": self._id("EKSP"), "merchant": ak, "payoutStatus": "INIT",
            "payoutMode": "IMPS" if net <= 200000 else "NEFT", "utr": None,
            "payoutDate": datetime.fromtimestamp(at, IST).date().isoformat(),
            "totalSalesAmount": total["amount"], "totalRefundAmount": refunded, "totalChargesAmount": total["charges"],
            "totalGstAmount": total["gst"], "settlementAmount": max(net, Decimal(0)), "carryForwardAmount": carry,
            "adjustmentAmount": Decimal(0), "transactions": lines, "createdAt": at,
            "beneficiaryAccountNumber": "X" * (len(merchant.account_number) - 4) + merchant.account_number[-4:],
            "beneficiaryIfsc": merchant.ifsc, "due_at": at + self.completion_delay,
        }
        self.payouts[payout["id"]] = payout
        self.later(self.completion_delay, self._advance)
        return payout

    @staticmethod
    def _sale_line(txn: dict) -> dict:
        charges = (txn["amount"] * MDR_RATE).quantize(PAISE, ROUND_HALF_UP)
        gst = (charges * GST_RATE).quantize(PAISE, ROUND_HALF_UP)
        return {"transactionId": txn["transactionId"], "orderId": txn["orderId"], "type": "SALE",
                "amount": txn["amount"], "charges": charges, "gst": gst, "netAmount": txn["amount"] - charges - gst,
                "transactionDate": _iso(txn["updatedAt"])}

    def _refund_line(self, refund: dict) -> dict:
        txn = self.transactions[refund["transactionId"]]
        return {"transactionId": refund["refundId"], "orderId": txn["orderId"], "type": "REFUND",
                "amount": refund["amount"], "charges": Decimal(0), "gst": Decimal(0), "netAmount": -refund["amount"],
                "transactionDate": _iso(refund["createdAt"])}

    def _payout_payload(self, payout: dict, *, with_transactions: bool) -> dict:
        payload = {k: v for k, v in payout.items() if k not in ("merchant", "due_at", "transactions")}
        for key, value in payload.items():
            if isinstance(value, Decimal):
                payload[key] = _rupees(value)
        payload["createdAt"] = _iso(payout["createdAt"])
        payload["transactionCount"] = len(payout["transactions"])
        if with_transactions:
            payload["transactions"] = [
                {k: _rupees(v) if isinstance(v, Decimal) else v for k, v in line.items()}
                for line in payout["transactions"]
            ]
        return payload

    @route("/api/v0/settlement-payout/<payout_id>", methods=("GET",))
    @api
    def settlement_payout(self, request: Request, merchant: TestMerchant, payout_id: str) -> Response:
        payout = self.payouts.get(payout_id)
        if payout is None or payout["merchant"] != merchant.access_key:
            raise _Reject(codes.SETTLEMENT_PAYOUT_NOT_FOUND, f"Settlement payout {payout_id} not found.")
        return self._ok(self._payout_payload(payout, with_transactions=True))

    @route("/api/v0/settlement-payout/search", methods=("POST",))
    @api
    def search_settlement_payouts(self, request: Request, merchant: TestMerchant) -> Response:
        offset, limit = self._paging(request, default_limit=50)
        order_by = request.args.get("orderBy", "payoutDate")
        direction = request.args.get("direction", "DESC")
        if order_by not in PAYOUT_ORDERING or direction not in ("ASC", "DESC"):
            raise _Reject(codes.INVALID_REQUEST, "orderBy must be payoutDate, createdAt or settlementAmount; "
                                                 "direction ASC or DESC.")
        body = self._json(request)
        start, end = self._date(body, "fromDate"), self._date(body, "toDate")
        found = [
            p for p in self.payouts.values()
            if p["merchant"] == merchant.access_key
            and (start is None or p["payoutDate"] >= start) and (end is None or p["payoutDate"] <= end)
            and body.get("payoutStatus") in (None, p["payoutStatus"]) and body.get("utr") in (None, p["utr"])
        ]
        found.sort(key=lambda p: (p[PAYOUT_ORDERING[order_by]], p["id"]), reverse=direction == "DESC")
        page = [self._payout_payload(p, with_transactions=False) for p in found[offset:offset + limit]]
        return self._ok({"totalCount": len(found), "offset": offset, "limit": limit, "settlementPayouts": page})

    @staticmethod
    def _paging(request: Request, *, default_limit: int) -> tuple[int, int]:
        try:
            offset = int(request.args.get("offset", 0))
            limit = int(request.args.get("limit", default_limit))
        except ValueError:
            raise _Reject(codes.INVALID_REQUEST, "offset and limit must be whole numbers.") from None
        if offset < 0 or not 1 <= limit <= 5000:
            raise _Reject(codes.INVALID_REQUEST, "offset must be 0 or more and limit between 1 and 5000.")
        return offset, limit

    @staticmethod
    def _date(body: dict, key: str) -> str | None:
        value = body.get(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise _Reject(codes.INVALID_REQUEST, f"{key} must be a date (YYYY-MM-DD).") from None

    # -- QR customers and QR codes ------------------------------------------------------
    @route("/api/v0/customer", methods=("POST",))
    @api
    def create_qr_customer(self, request: Request, merchant: TestMerchant) -> Response:
        body = self._json(request)
        name = _text(body, "name", max_length=100)
        email, mobile = _text(body, "email", required=False), _text(body, "mobile", required=False)
        if email and not EMAIL_RE.match(email):
            raise _Reject(codes.INVALID_REQUEST, "email is not an email address.")
        if mobile and not MOBILE_RE.match(mobile):
            raise _Reject(codes.INVALID_REQUEST, "mobile must be a 10-digit Indian mobile number.")
        if mobile and any(c["merchant"] == merchant.access_key and c["mobile"] == mobile
                          for c in self.customers.values()):
            raise _Reject(codes.DUPLICATE_CUSTOMER, "A customer with this mobile already exists.")
        customer = {"customerId": self._id("EKC"), "merchant": merchant.access_key, "name": name, "email": email,
                    "mobile": mobile, "createdAt": time.time()}
        self.customers[customer["customerId"]] = customer
        return self._ok(self._customer_payload(customer))

    @staticmethod
    def _customer_payload(customer: dict) -> dict:
        return {**{k: v for k, v in customer.items() if k != "merchant"}, "createdAt": _iso(customer["createdAt"])}

    @route("/api/v0/customer/search", methods=("POST",))
    @api
    def search_qr_customers(self, request: Request, merchant: TestMerchant) -> Response:
        offset, limit = self._paging(request, default_limit=20)
        body = self._json(request)
        if body.get("mobile") is not None and not MOBILE_RE.match(str(body["mobile"])):
            raise _Reject(codes.INVALID_REQUEST, "mobile must be a 10-digit Indian mobile number.")
        found = [
            c for c in self.customers.values()
            if c["merchant"] == merchant.access_key
            and str(body.get("name") or "").lower() in c["name"].lower()
            and body.get("email") in (None, c["email"]) and body.get("mobile") in (None, c["mobile"])
        ]
        page = [self._customer_payload(c) for c in found[offset:offset + limit]]
        return self._ok({"totalCount": len(found), "offset": offset, "limit": limit, "customers": page})

    @route("/api/v0/qr-code", methods=("POST",))
    @api
    def create_qr_code(self, request: Request, merchant: TestMerchant) -> Response:
        body = self._json(request)
        name = _text(body, "qrName", max_length=50)
        multiple_use, fixed = body.get("multipleUse"), body.get("fixedAmount")
        if not isinstance(multiple_use, bool) or not isinstance(fixed, bool):
            raise _Reject(codes.INVALID_REQUEST, "multipleUse and fixedAmount must be true or false.")
        amount = _money(body.get("amount"), "amount") if fixed else None
        expiry = self._expiry(body.get("expiry"))
        customer = self._qr_customer(merchant, body.get("customerId"))
        qr = self._new_qr(merchant, name, multiple_use, amount, expiry, customer,
                          _text(body, "description", required=False))
        return self._ok(self._qr_payload(qr))

    @staticmethod
    def _expiry(value: object) -> float | None:
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise _Reject(codes.INVALID_REQUEST, "expiry must be an ISO 8601 date-time.") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=IST)
        if moment.timestamp() <= time.time():
            raise _Reject(codes.INVALID_REQUEST, "expiry must be in the future.")
        return moment.timestamp()

    def _qr_customer(self, merchant: TestMerchant, customer_id: object) -> dict | None:
        if customer_id is None:
            return None
        customer = self.customers.get(str(customer_id))
        if customer is None or customer["merchant"] != merchant.access_key:
            raise _Reject(codes.CUSTOMER_NOT_FOUND, f"Customer {customer_id} not found.")
        return customer

    def _new_qr(self, merchant, name, multiple_use, amount, expiry, customer, description) -> dict:
        qr_id, now = self._id("EKQR"), time.time()
        upi_url = "upi://pay?" + render.upi_query(
            payee_vpa=merchant.upi_id, payee_name=merchant.name, reference=qr_id, note=name, amount=amount
        )
        qr = {
            "qrCodeId": qr_id, "merchant": merchant.access_key, "qrName": name, "multipleUse": multiple_use,
            "fixedAmount": amount is not None, "amount": amount, "description": description, "expiry": expiry,
            "status": "ACTIVE", "upiUrl": upi_url, "qrCodeBase64": render.qr_png_base64(upi_url),
            "customerId": customer["customerId"] if customer else None,
            "customerName": customer["name"] if customer else None,
            "customerEmail": customer["email"] if customer else None,
            "customerMobile": customer["mobile"] if customer else None,
            "paymentsCount": 0, "amountReceived": Decimal(0), "createdAt": now, "updatedAt": now,
        }
        self.qr_codes[qr_id] = qr
        return qr

    @staticmethod
    def _qr_payload(qr: dict) -> dict:
        payload = {k: v for k, v in qr.items() if k != "merchant"}
        payload.update(
            amount=_rupees(qr["amount"]) if qr["amount"] is not None else None,
            amountReceived=_rupees(qr["amountReceived"]), expiry=_iso(qr["expiry"]),
            createdAt=_iso(qr["createdAt"]), updatedAt=_iso(qr["updatedAt"]),
        )
        return payload

    def _qr(self, merchant: TestMerchant, qr_code_id: str) -> dict:
        qr = self.qr_codes.get(qr_code_id)
        if qr is None or qr["merchant"] != merchant.access_key:
            raise _Reject(codes.QR_CODE_NOT_FOUND, f"QR code {qr_code_id} not found.")
        return qr

    @route("/api/v0/qr-code/search", methods=("POST",))
    @api
    def search_qr_codes(self, request: Request, merchant: TestMerchant) -> Response:
        offset, limit = self._paging(request, default_limit=20)
        body = self._json(request)
        if body.get("status") not in (None, "ACTIVE", "CANCELLED"):
            raise _Reject(codes.INVALID_REQUEST, "status must be ACTIVE or CANCELLED.")
        found = [
            q for q in self.qr_codes.values()
            if q["merchant"] == merchant.access_key and body.get("status") in (None, q["status"])
            and str(body.get("qrName") or "").lower() in q["qrName"].lower()
            and body.get("customerId") in (None, q["customerId"])
        ]
        page = [self._qr_payload(q) for q in found[offset:offset + limit]]
        return self._ok({"totalCount": len(found), "offset": offset, "limit": limit, "qrCodes": page})

    @route("/api/v0/qr-code/<qr_code_id>", methods=("GET",))
    @api
    def get_qr_code(self, request: Request, merchant: TestMerchant, qr_code_id: str) -> Response:
        return self._ok(self._qr_payload(self._qr(merchant, qr_code_id)))

    @route("/api/v0/qr-code/<qr_code_id>/cancel", methods=("PATCH",))
    @api
    def cancel_qr_code(self, request: Request, merchant: TestMerchant, qr_code_id: str) -> Response:
        qr = self._qr(merchant, qr_code_id)
        if qr["status"] != "CANCELLED":
            qr.update(status="CANCELLED", updatedAt=time.time())
        return self._ok(self._qr_payload(qr))

    # -- sandbox only: the payer, the hosted checkout, the settlement run ---------------
    def _order_by_enkash_id(self, enkash_order_id: str) -> dict | None:
        key = self.orders_by_enkash_id.get(enkash_order_id)
        return self.orders.get(key) if key else None

    @route("/pay/checkout/<enkash_order_id>", methods=("GET",))
    def hosted_checkout(self, request: Request, enkash_order_id: str) -> Response:
        self._advance()
        order = self._order_by_enkash_id(enkash_order_id)
        if order is None:
            return Response("<h1>Order not found</h1>", status=404, mimetype="text/html")
        if self._order_status(order) == "CREATED":
            order["checkoutRendered"] = True
        merchant = self.merchants[order["merchant"]]
        qr = None
        if self._order_status(order) in PAYABLE:
            qr = self._qr_payload_for_page(merchant, order)
        action = f"{request.url_root}_simulate/orders/{enkash_order_id}/pay"
        page = render.checkout_page(order=order, merchant_name=merchant.name, action=action, qr_base64=qr)
        return Response(page, mimetype="text/html")

    def _qr_payload_for_page(self, merchant: TestMerchant, order: dict) -> str:
        _, query = self._upi_attempt(merchant, order)
        return render.qr_png_base64(f"upi://pay?{query}")

    @route("/_simulate/orders/<enkash_order_id>/pay", methods=("POST",))
    def simulate_order_payment(self, request: Request, enkash_order_id: str) -> Response:
        """The payer pays (or not): outcome success | pending | failure | cancel."""
        self._advance()
        order = self._order_by_enkash_id(enkash_order_id)
        if order is None:
            return self._fail(codes.ORDER_NOT_FOUND, f"Order {enkash_order_id} not found.")
        outcome = (request.form.get("outcome") or self.body(request).get("outcome") or "success").lower()
        try:
            txn = self._payer_acts(order, outcome)
        except _Reject as r:
            return self._fail(r.code, r.message)
        if request.form.get("outcome") and order["returnUrl"]:
            return redirect(f"{order['returnUrl']}?orderId={order['orderId']}", code=303)
        return self._ok(self._order_payload(order) if txn is None else self._txn_payload(txn))

    def _payer_acts(self, order: dict, outcome: str) -> dict | None:
        merchant = self.merchants[order["merchant"]]
        if outcome == "cancel":
            order["cancelled"] = True
            for txn_id in order["transactions"]:
                if self.transactions[txn_id]["status"] == "CREATED":
                    self._move(self.transactions[txn_id], "CANCELLED")
            return None
        bank = {"success": SUCCESS, "pending": LATER_SUCCESS,
                "failure": Outcome("FAILED", reason="The payer declined the payment.")}.get(outcome)
        if bank is None:
            raise _Reject(codes.INVALID_REQUEST, "outcome must be success, pending, failure or cancel.")
        txn, _ = self._upi_attempt(merchant, order)
        self._start(txn, AMOUNT_OUTCOMES.get(order["amount"], bank))
        return txn

    @route("/_simulate/qr-codes/<qr_code_id>/pay", methods=("POST",))
    def simulate_qr_payment(self, request: Request, qr_code_id: str) -> Response:
        """A payer scans a static QR code and pays ``amount`` (a fixed-amount code's own)."""
        qr = self.qr_codes.get(qr_code_id)
        if qr is None:
            return self._fail(codes.QR_CODE_NOT_FOUND, f"QR code {qr_code_id} not found.")
        try:
            amount = qr["amount"] if qr["fixedAmount"] else _money(self.body(request).get("amount"), "amount")
            if qr["status"] != "ACTIVE" or (qr["expiry"] and qr["expiry"] <= time.time()) or (
                not qr["multipleUse"] and qr["paymentsCount"]
            ):
                raise _Reject(codes.QR_CODE_NOT_PAYABLE, f"QR code {qr_code_id} cannot be paid.")
        except _Reject as r:
            return self._fail(r.code, r.message)
        txn = self._new_txn(self.merchants[qr["merchant"]], None, "UPI", None, None, qr=qr)
        txn["amount"] = amount
        self._start(txn, SUCCESS)
        qr.update(paymentsCount=qr["paymentsCount"] + 1, amountReceived=qr["amountReceived"] + amount,
                  updatedAt=time.time())
        return self._ok(self._txn_payload(txn))

    @route("/_simulate/settlements", methods=("POST",))
    def simulate_settlement(self, request: Request) -> Response:
        """Run the settlement cycle now (EnKash settles T+1) for one merchant or all."""
        self._advance()
        wanted = self.body(request).get("accessKey")
        made = [self._settle(m) for m in self.merchants.values() if wanted in (None, m.access_key)]
        return self._ok({"settlementPayouts": [self._payout_payload(p, with_transactions=True) for p in made if p]})

