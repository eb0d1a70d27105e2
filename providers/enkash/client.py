"""EnKash (India, INR): orders, payments, refunds, UPI links, settlements and QR codes.

Policy that is not obvious:

- Authentication is a session token from ``POST /api/v0/merchant/token`` (access key +
  secret key), sent as ``Authorization: Bearer <token>`` with a ``merchantAccessKey``
  header. It is cached (see ``tokens.py``) and renewed a little before its expiry; a 401
  on any call means EnKash no longer honours it, so it is renewed and the call sent once
  more. A 401 proves EnKash refused the call before acting on it, so that one repeat is
  safe even for a payment.
- Every answer is an envelope ``{response_code, response_message, payload}``; a non-zero
  ``response_code`` is a failure even under HTTP 200.
- Reads (GET, and the three ``search`` POSTs, which only read) are retried with backoff,
  and so are the token call (it only issues a token) and ``cancel_qr_code`` (idempotent).
- The two calls that move money, ``submit_payment_detail`` and ``refund``, are sent
  exactly once by the client: every answer that does not prove EnKash did nothing (see
  ``MONEY_NOT_ACTED`` in ``providers/base/client.py``) raises ProviderOutcomeUnknown
  after that one request. Resolving it is the caller's job. For a payment, which has no
  idempotency key, ``order_status`` lists every attempt of the order and
  ``transaction_status`` settles each one. For a refund, ``transaction_status`` lists
  its refunds, or the caller deliberately sends the refund again with the *same*
  ``requestId``: EnKash then answers with the refund already made (how the sync resolves it).
  A new requestId would be a second refund.
- ``create_order``, ``create_qr_code`` and ``create_qr_customer`` move no money but would
  duplicate on a repeat, so they are not retried: look the thing up before trying again.
- A notify that EnKash POSTs to an order's notifyUrl is parsed by
  ``parse_notify_callback`` but never trusted: its checksum algorithm is not public, so
  the order is confirmed with ``order_status`` before anything changes.
- Amounts, IFSCs, paging, ids and each payment mode's fields are checked before
  anything is sent; a failed check raises ProviderInputError (a ProviderRejected and a
  ValueError) with ``http_status=None``.
- Card data (number, CVV, expiry, holder) travels in one ``cardDetail`` object that is
  masked by key in every log line; the PAN and CVV are also scrubbed, as per-request
  secrets, from this client's log lines and errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from providers.base import errors
from providers.base.client import MONEY_NOT_ACTED, ProviderClient, Reply, RetryPolicy, Timeouts
from providers.base.exactjson import loads as load_json
from providers.base.money import Money
from providers.enkash import codes, tokens, validation
from providers.enkash.types import (
    AuthorizationToken,
    BnplPaymentMode,
    CardDetail,
    CustomerInfo,
    DynamicQrCode,
    NotifyCallback,
    Order,
    Payment,
    QrCode,
    QrCodePage,
    QrCustomer,
    QrCustomerPage,
    Refund,
    SettlementPayout,
    SettlementPayoutPage,
    UpiIntentLink,
)

__all__ = ["CardDetail", "CustomerInfo", "EnKashClient", "parse_notify_callback"]

TOKEN_OPERATION = "authorization_token"  # noqa: S105 (an operation name, not a secret)
PAYMENT_MODES = (
    "NET_BANKING", "UPI", "CREDIT_CARD", "DEBIT_CARD", "PREPAID_CARD", "PAY_LATER", "WALLET", "CORPORATE_CARD",
)
CARD_MODES = ("CREDIT_CARD", "DEBIT_CARD", "PREPAID_CARD", "CORPORATE_CARD")

# Documented failure statuses of each operation, beyond the 401 / 403 every
# authenticated call may get (see README, "Status mapping").
DOCUMENTED: dict[str, tuple[int, ...]] = {
    TOKEN_OPERATION: (400, 401, 403),
    "create_order": (400, 409),
    "order_status": (404,),
    "bnpl_payment_modes": (404, 422),
    "transaction_status": (404,),
    "submit_payment_detail": (400, 404, 422),
    "refund": (400, 404, 409, 422),
    "upi_intent_link": (404, 422),
    "dynamic_qr_code": (404, 422),
    "settlement_payout": (404,),
    "search_settlement_payouts": (400,),
    "create_qr_customer": (400, 409),
    "search_qr_customers": (400,),
    "create_qr_code": (400, 404),
    "search_qr_codes": (400,),
    "get_qr_code": (404,),
    "cancel_qr_code": (404,),
}
AUTH_STATUSES = (401, 403)


class EnKashClient(ProviderClient):
    provider: ClassVar[str] = "enkash"
    currency: ClassVar[str] = "INR"
    # cardDetail holds number, CVV, expiry and holder: masked as a whole.
    redact_keys: ClassVar[tuple[str, ...]] = ("cardDetail", "accountNumber", "beneficiaryAccountNumber")

    def __init__(
        self,
        *,
        base_url: str,
        access_key: str,
        secret_key: str,
        session: requests.Session | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        token_store: tokens.TokenStore | None = None,
    ) -> None:
        super().__init__(base_url=base_url, session=session, timeouts=timeouts, retry=retry)
        self.access_key = access_key
        self._secret_key = secret_key
        self.add_secrets(access_key, secret_key)
        # Paydesk hands in a store shared by every process; without one, the token is
        # cached on the session (tokens.py).
        self._tokens = token_store or tokens.slot_for(self.session, self.base_url, access_key, secret_key)
        self._sent_token: AuthorizationToken | None = None

    # -- authentication -----------------------------------------------------------------
    def authorization_token(self, *, renew: bool = False) -> AuthorizationToken:
        """The cached session token, fetched anew when missing, near expiry or ``renew``."""
        return self._tokens.obtain(self._issue_token, renew=renew)

    def renew_token_if_expiring(self, *, within: float) -> AuthorizationToken:
        """The token, renewed first if it would expire in the next ``within`` seconds
        (the periodic renewal: no call in flight ever meets an expired token)."""
        return self._tokens.obtain(self._issue_token, within=within)

    def _issue_token(self) -> AuthorizationToken:
        reply = self._request(
            "POST", "/api/v0/merchant/token", operation=TOKEN_OPERATION, safe=True,
            json_body={"accessKey": self.access_key, "secretKey": self._secret_key},
            documented=self._specs(TOKEN_OPERATION, DOCUMENTED[TOKEN_OPERATION]),
        )
        if reply.get("resultCode", codes.OK) != codes.OK:
            raise self._failure(reply, TOKEN_OPERATION)
        return self._result(TOKEN_OPERATION, reply, AuthorizationToken.from_body)

    def _auth(self, operation: str) -> dict[str, Any]:
        if operation == TOKEN_OPERATION:
            return {}
        token = self.authorization_token()
        self._sent_token = token
        # Scrubbed from this client's lines only: a token lives half an hour, unlike the
        # credentials kept in the process-wide registry.
        if token.token not in self._secrets:
            self._secrets.append(token.token)
        return {"headers": {"Authorization": f"Bearer {token.token}", "merchantAccessKey": self.access_key}}

    def check(self) -> str:
        """Issue a fresh token and make one small authenticated read with it."""
        token = self.authorization_token(renew=True)
        self.search_settlement_payouts(limit=1)
        return f"EnKash accepted the access key; the session token is valid until {token.expires_at:%H:%M} UTC."

    # -- orders -------------------------------------------------------------------------
    def create_order(
        self,
        *,
        order_id: str,
        amount: Money | Decimal | str,
        return_url: str,
        notify_url: str,
        customer: CustomerInfo | None = None,
        description: str | None = None,
        custom_parameters: Mapping[str, str] | None = None,
    ) -> Order:
        op = "create_order"
        money = self._amount(op, amount)
        body = {
            "orderId": self._required(op, order_id, "The order id"),
            "amount": {"value": validation.wire_amount(money), "currency": self.currency},
            "returnUrl": return_url,
            "notifyUrl": notify_url,
            "customerInfo": customer.wire() if customer else {},
            "customParameters": {str(k): str(v) for k, v in (custom_parameters or {}).items()},
            "description": description or "",
        }
        reply = self._call("POST", "/api/v0/orders", operation=op, json_body=body)
        build = partial(Order.from_payload, order_id=body["orderId"], amount=money, status_required=False)
        return self._result(op, reply, _payload(build))

    def order_status(self, *, order_id: str) -> Order:
        op = "order_status"
        reply = self._call("GET", f"/api/v0/orders/{_segment(op, order_id)}", operation=op)
        return self._result(op, reply, _payload(partial(Order.from_payload, order_id=order_id)))

    def bnpl_payment_modes(self, *, order_id: str) -> tuple[BnplPaymentMode, ...]:
        op = "bnpl_payment_modes"
        reply = self._call("GET", f"/api/v0/orders/{_segment(op, order_id)}/bnpl-payment-modes", operation=op)
        return self._result(op, reply, _payload(lambda p: tuple(map(BnplPaymentMode.from_payload, p["paymentModes"]))))

    # -- payments -----------------------------------------------------------------------
    def transaction_status(self, *, transaction_id: str) -> Payment:
        op = "transaction_status"
        reply = self._call("GET", f"/api/v0/payment/{_segment(op, transaction_id)}", operation=op)
        return self._result(op, reply, _payload(partial(Payment.from_payload, transaction_id=transaction_id)))

    def submit_payment_detail(
        self,
        *,
        order_id: str,
        amount: Money | Decimal | str,
        payment_mode: str,
        card: CardDetail | None = None,
        vpa: str | None = None,
        bank_code: str | None = None,
        account_number: str | None = None,
        ifsc: str | None = None,
        bnpl_payment_option_id: str | None = None,
    ) -> Payment:
        """Pay an order. Moves money: never re-sent (see module docstring)."""
        op = "submit_payment_detail"
        money = self._amount(op, amount)
        body = {
            "orderId": self._required(op, order_id, "The order id"),
            "paymentMode": payment_mode,
            "paymentDetail": {"amount": validation.wire_amount(money), "currency": self.currency},
            **self._mode_fields(op, payment_mode, card, vpa, bank_code, account_number, ifsc, bnpl_payment_option_id),
        }
        reply = self._call(
            "POST", "/api/v0/payment/submit", operation=op, json_body=body, moves_money=True,
            sensitive=(card.digits, card.number, card.cvv) if card else (),
        )
        build = partial(Payment.from_payload, order_id=body["orderId"], amount=money, status_required=False)
        return self._result(op, reply, _payload(build), moves_money=True)

    def _mode_fields(self, op, mode, card, vpa, bank_code, account_number, ifsc, bnpl_option) -> dict[str, Any]:
        """The fields of one payment mode, checked before anything is sent."""
        if mode not in PAYMENT_MODES:
            raise self._invalid(op, "invalid_payment_mode", f"EnKash has no payment mode {mode!r}.")
        if mode in CARD_MODES:
            if card is None:
                raise self._invalid(op, "invalid_payment_detail", "A card payment needs the card details.")
            return {"cardDetail": card.wire()}
        if mode == "UPI":
            return {"vpa": self._required(op, vpa, "The UPI id (VPA)")}
        if mode == "PAY_LATER":
            return {"bnplPaymentOptionId": self._required(op, bnpl_option, "The pay-later option")}
        fields = {"bankCode": self._required(op, bank_code, "The bank or wallet code")}
        if mode == "NET_BANKING" and (account_number or ifsc):
            # Third-party validation: the bank checks the payer's own account is used.
            fields["accountNumber"] = self._required(op, account_number, "The account number")
            fields["ifsc"] = self._ifsc(op, ifsc)
        return fields

    def refund(
        self, *, transaction_id: str, amount: Money | Decimal | str, request_id: str, remarks: str | None = None
    ) -> Refund:
        """Refund part or all of a payment. Moves money: sent once (see module docstring).

        ``request_id`` is the idempotency key: the same id again returns the refund
        already made instead of making another, so after an unknown outcome the caller
        may send it again with the same id, never with a new one."""
        op = "refund"
        money = self._amount(op, amount)
        body = {
            "amount": validation.wire_amount(money),
            "requestId": self._required(op, request_id, "The refund request id"),
            "remarks": remarks or "",
        }
        path = f"/api/v0/payment/{_segment(op, transaction_id)}/refund"
        reply = self._call("POST", path, operation=op, json_body=body, moves_money=True)
        build = partial(Refund.from_payload, request_id=body["requestId"], transaction_id=transaction_id, amount=money)
        return self._result(op, reply, _payload(build), moves_money=True)

    def upi_intent_link(self, *, order_id: str) -> UpiIntentLink:
        op = "upi_intent_link"
        reply = self._call("GET", f"/api/v0/payment-link/upi-intent/{_segment(op, order_id)}", operation=op)
        return self._result(op, reply, _payload(partial(UpiIntentLink.from_payload, order_id=order_id)))

    def dynamic_qr_code(self, *, order_id: str) -> DynamicQrCode:
        op = "dynamic_qr_code"
        reply = self._call("GET", f"/pay/checkout/qrcode/{_segment(op, order_id)}", operation=op)
        return self._result(op, reply, _payload(partial(DynamicQrCode.from_payload, order_id=order_id)))

    # -- settlements --------------------------------------------------------------------
    def settlement_payout(self, *, payout_id: str) -> SettlementPayout:
        op = "settlement_payout"
        reply = self._call("GET", f"/api/v0/settlement-payout/{_segment(op, payout_id)}", operation=op)
        return self._result(op, reply, _payload(SettlementPayout.from_payload))

    def search_settlement_payouts(
        self,
        *,
        offset: int = 0,
        limit: int = 50,
        order_by: str = "payoutDate",
        direction: str = "DESC",
        from_date: date | None = None,
        to_date: date | None = None,
        payout_status: str | None = None,
        utr: str | None = None,
    ) -> SettlementPayoutPage:
        op = "search_settlement_payouts"
        params = self._paging(op, offset, limit)
        params |= {"orderBy": order_by, "direction": self._checked(op, validation.direction, direction)}
        filters = {
            "fromDate": from_date.isoformat() if from_date else None,
            "toDate": to_date.isoformat() if to_date else None,
            "payoutStatus": payout_status,
            "utr": utr,
        }
        reply = self._call(
            "POST", "/api/v0/settlement-payout/search", operation=op, safe=True, params=params,
            json_body={k: v for k, v in filters.items() if v is not None},
        )
        return self._result(op, reply, _payload(SettlementPayoutPage.from_payload))

    # -- QR codes -----------------------------------------------------------------------
    def create_qr_customer(self, *, name: str, email: str | None = None, mobile: str | None = None) -> QrCustomer:
        op = "create_qr_customer"
        body = {"name": self._required(op, name, "The customer name"), "email": email, "mobile": mobile}
        reply = self._call("POST", "/api/v0/customer", operation=op, json_body=_compact(body))
        return self._result(op, reply, _payload(QrCustomer.from_payload))

    def search_qr_customers(
        self,
        *,
        offset: int = 0,
        limit: int = 20,
        name: str | None = None,
        email: str | None = None,
        mobile: str | None = None,
    ) -> QrCustomerPage:
        op = "search_qr_customers"
        params = self._paging(op, offset, limit)
        body = _compact({"name": name, "email": email, "mobile": mobile})
        reply = self._call("POST", "/api/v0/customer/search", operation=op, safe=True, params=params, json_body=body)
        return self._result(op, reply, _payload(QrCustomerPage.from_payload))

    def create_qr_code(
        self,
        *,
        name: str,
        multiple_use: bool,
        amount: Money | Decimal | str | None = None,
        description: str | None = None,
        expires_at: datetime | None = None,
        customer_id: str | None = None,
    ) -> QrCode:
        """A static UPI QR code; with ``amount`` the payer cannot change what is paid."""
        op = "create_qr_code"
        if expires_at is not None and expires_at.tzinfo is None:
            raise self._invalid(op, "invalid_request", "The QR code expiry needs a time zone.")
        body = {
            "qrName": self._required(op, name, "The QR code name"),
            "multipleUse": bool(multiple_use),
            "fixedAmount": amount is not None,
            "amount": validation.wire_amount(self._amount(op, amount)) if amount is not None else None,
            "description": description,
            "expiry": expires_at.isoformat() if expires_at else None,
            "customerId": customer_id,
        }
        reply = self._call("POST", "/api/v0/qr-code", operation=op, json_body=_compact(body))
        return self._result(op, reply, _payload(QrCode.from_payload))

    def search_qr_codes(
        self,
        *,
        offset: int = 0,
        limit: int = 20,
        status: str | None = None,
        name: str | None = None,
        customer_id: str | None = None,
    ) -> QrCodePage:
        op = "search_qr_codes"
        params = self._paging(op, offset, limit)
        body = _compact({"status": status, "qrName": name, "customerId": customer_id})
        reply = self._call("POST", "/api/v0/qr-code/search", operation=op, safe=True, params=params, json_body=body)
        return self._result(op, reply, _payload(QrCodePage.from_payload))

    def get_qr_code(self, *, qr_code_id: str) -> QrCode:
        op = "get_qr_code"
        reply = self._call("GET", f"/api/v0/qr-code/{_segment(op, qr_code_id)}", operation=op)
        return self._result(op, reply, _payload(QrCode.from_payload))

    def cancel_qr_code(self, *, qr_code_id: str) -> QrCode:
        """Cancelling twice answers the cancelled code again, so a repeat is safe."""
        op = "cancel_qr_code"
        path = f"/api/v0/qr-code/{_segment(op, qr_code_id)}/cancel"
        reply = self._call("PATCH", path, operation=op, safe=True)
        return self._result(op, reply, _payload(QrCode.from_payload))

    # -- the envelope, errors and the one token renewal ----------------------------------
    def _call(self, method: str, path: str, *, operation: str, moves_money: bool = False, **kwargs) -> Reply:
        """One authenticated call: on a rejected token, renew it and send once more."""
        documented = self._specs(operation, DOCUMENTED[operation] + AUTH_STATUSES, moves_money=moves_money)
        for last_try in (False, True):
            self._sent_token = None
            try:
                reply = self._request(
                    method, path, operation=operation, documented=documented, moves_money=moves_money, **kwargs
                )
                self._check_envelope(reply, operation, moves_money)
                return reply
            except errors.ProviderAuthenticationError as e:
                if last_try or e.code != "token_rejected":
                    raise
                self._tokens.forget(self._sent_token)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_envelope(self, reply: Reply, operation: str, moves_money: bool) -> None:
        code = reply.get("response_code")
        is_code = isinstance(code, int) and not isinstance(code, bool)
        if is_code and code != codes.OK:
            if moves_money and code not in codes.FAILURES:
                # A code nobody has documented does not prove EnKash refused the payment.
                cls = errors.ProviderOutcomeUnknown
                raise self.error(cls, operation, code=f"outcome_unknown_enkash_{code}", reply=reply)
            raise self._failure(reply, operation)
        if not is_code or not isinstance(reply.get("payload"), dict):
            cls = errors.ProviderOutcomeUnknown if moves_money else errors.ProviderInvalidResponse
            raise self.error(cls, operation, code="unexpected_shape", reply=reply)

    def _specs(
        self, operation: str, statuses: Iterable[int], *, moves_money: bool = False
    ) -> dict[int, Callable[[Reply], errors.ProviderError | None]]:
        """Each documented status read as EnKash's failure. After a payment or refund, a
        status outside ``MONEY_NOT_ACTED`` (409) proves a refusal only with a failure code
        EnKash documents in the body: a bare 409 from a proxy, ``{"message": "conflict"}``
        or a code nobody knows is left to the base client, which calls it unknown."""

        def spec(reply: Reply) -> errors.ProviderError | None:
            if moves_money and reply.status not in MONEY_NOT_ACTED and _known_code(reply) is None:
                return None
            return self._failure(reply, operation)

        return dict.fromkeys(statuses, spec)

    def _failure(self, reply: Reply, operation: str) -> errors.ProviderError:
        """The error for a failure answer: by EnKash's code, else by the HTTP status."""
        code = reply.get("response_code", reply.get("resultCode"))
        failure = _known_code(reply)
        if failure is None and operation == TOKEN_OPERATION and reply.status in (200, 401):
            failure = codes.FAILURES[codes.INVALID_CREDENTIALS]
        failure = failure or codes.BY_HTTP_STATUS.get(reply.status) or codes.Failure(
            reply.status, errors.ProviderRejected, f"enkash_{code}", "EnKash declined the request."
        )
        upstream = self._upstream_message(reply)
        message = failure.sentence
        if failure.code == "invalid_request" and upstream:
            message = f"EnKash rejected the request: {upstream.rstrip('.')}."
        return failure.error(
            message, provider=self.provider, operation=operation, http_status=reply.status,
            code=failure.code, upstream_message=upstream,
        )

    # -- checks made before sending ------------------------------------------------------
    def _invalid(self, operation: str, code: str, message: str) -> errors.ProviderError:
        """A check made before sending failed: nothing reached EnKash."""
        return self.error(errors.ProviderInputError, operation, message, code=code)

    def _checked(self, operation: str, check: Callable, *args, code: str = "invalid_request"):
        try:
            return check(*args)
        except ValueError as e:
            raise self._invalid(operation, code, str(e)) from None

    def _amount(self, operation: str, amount) -> Money:
        return self._checked(operation, validation.amount, amount, code="invalid_amount")

    def _ifsc(self, operation: str, value: str | None) -> str:
        return self._checked(operation, validation.ifsc, value or "", code="invalid_ifsc")

    def _required(self, operation: str, value: str | None, what: str) -> str:
        return self._checked(operation, validation.required, value, what)

    def _paging(self, operation: str, offset: int, limit: int) -> dict[str, int]:
        offset, limit = self._checked(operation, validation.page, offset, limit)
        return {"offset": offset, "limit": limit}


def _known_code(reply: Reply) -> codes.Failure | None:
    """The failure EnKash documents for the body's code, or None (no code, or unknown)."""
    code = reply.get("response_code", reply.get("resultCode"))
    return codes.FAILURES.get(code) if isinstance(code, int) and not isinstance(code, bool) else None


def _payload(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda body: build(body["payload"])


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _segment(operation: str, value: str) -> str:
    """An id placed in a URL path, escaped so it cannot change the path."""
    if not value or not str(value).strip():
        raise errors.ProviderInputError(
            "An id is required.", provider=EnKashClient.provider, operation=operation, code="invalid_request"
        )
    return quote(str(value), safe="")


def parse_notify_callback(body: bytes | str | dict) -> NotifyCallback:
    """Read the notify EnKash POSTs to an order's notifyUrl. Untrusted: its checksum
    algorithm is not public, so confirm with ``order_status`` before acting on it."""
    try:
        data = load_json(body)
        if not isinstance(data, dict):
            raise TypeError("the notify body is not a JSON object")
        return NotifyCallback.from_body(data)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise errors.ProviderInvalidResponse(
            "EnKash sent a notification Paydesk could not read.",
            provider=EnKashClient.provider, operation="notify_callback", code="invalid_callback",
        ) from e
