"""The EnKash sandbox: the token call as EnKash documents it, and the rest of the public
API in the shapes this package chose (README), with in-memory state.

Payments go pending and complete ``completion_delay`` seconds later (timers, and lazily
on every call), refunds and settlement payouts too; every payment status change is
notified to the order's ``notifyUrl``. A few sandbox-only routes under ``/_simulate/``
and the hosted checkout page stand in for the payer, who the sandbox cannot reach.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from providers.base.sandbox import Sandbox, json_response, route
from providers.enkash import codes
from providers.enkash.sandbox_common import Reject
from providers.enkash.sandbox_data import (
    DEMO_CREDENTIALS,
    DEMO_MERCHANT,
    MERCHANTS,
    SUCCESS,
    TEST_SECRETS,
    TestMerchant,
)
from providers.enkash.sandbox_orders import OrdersMixin
from providers.enkash.sandbox_payments import PaymentsMixin
from providers.enkash.sandbox_qr import QrMixin
from providers.enkash.sandbox_settlements import SettlementsMixin

__all__ = ["DEMO_CREDENTIALS", "TEST_SECRETS", "EnKashSandbox"]


class EnKashSandbox(OrdersMixin, PaymentsMixin, SettlementsMixin, QrMixin, Sandbox):
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
            raise Reject(codes.INVALID_REQUEST, "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise Reject(codes.INVALID_REQUEST, "The request body must be a JSON object.")
        return data

    # -- authorization ----------------------------------------------------------------
    @route("/api/v0/merchant/token", methods=("POST",))
    def authorization_token(self, request: Request) -> Response:
        try:
            body = self._json(request)
        except Reject as r:
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
            raise Reject(codes.TOKEN_REJECTED, "Authorization: Bearer <token> is required.")
        entry = None if self.reject_tokens else self.tokens.get(token)
        if entry is None:
            raise Reject(codes.TOKEN_REJECTED, "Invalid token.")
        if time.time() >= entry["expires_at"]:
            raise Reject(codes.TOKEN_REJECTED, "Token expired.")
        if request.headers.get("merchantAccessKey") != entry["merchant"]:
            raise Reject(codes.ACCESS_KEY_MISMATCH, "merchantAccessKey does not match the token.")
        if entry["merchant"] in self.inactive:
            raise Reject(codes.MERCHANT_INACTIVE, "Merchant account is inactive.")
        return self.merchants[entry["merchant"]]

