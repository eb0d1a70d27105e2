"""Vospay (Indonesia, IDR): buy now, pay later through Indonesian multifinance companies.

Whose session
    Vospay has no merchant credential on the wire. Every protected call carries a
    *customer's* JWT, ``Authorization: JWT <accessToken>``, from ``POST /authentication``
    (OTP, e-mail + access code, or phone + access code). One client serves one merchant
    connection and many customers at once, so it holds no token: every protected method
    takes ``access_token=`` (the ``AccessToken.token`` from ``create_access_token``) and
    ``_auth`` adds nothing. A client that kept "the" token would leak one customer's
    session into another's request the first time two checkouts overlapped.

What is retried
    The GET reads (accounts, merchants, profile, contracts) and verify-transaction (a
    POST that only reads) are retried with backoff. Nothing else is: an OTP send texts
    the customer again (and Paydesk counts resends), authentication spends the OTP,
    authorize mints a new transaction ID, activation / registration / change of access
    code rewrite the customer's record.

Finalize moves money
    ``finalize_transaction`` commits the customer's credit to a contract and is never
    re-sent. Every answer that does not prove Vospay did nothing raises
    ProviderOutcomeUnknown: a timeout, a connection dropped after sending, broken JSON,
    a 2xx of the wrong shape, and any status that is neither a documented refusal nor
    in the base client's ``MONEY_NOT_ACTED`` table (``providers/base/client.py``).
    ``verify_transaction`` resolves it ("Valid" = finalized). The doc's own finalize 500 ("Content-Type or body
    missing") is an unknown outcome too, not a refusal: Paydesk always sends both, and
    that error shape is also what Vospay (a Feathers app) answers when it crashes after
    writing the contract.

Documented 500s
    Vospay answers several refusals with HTTP 500 and its error shape ``{name, message,
    code, className, data, errors}`` (an OTP for an unknown phone, an incomplete
    activation or verify body). Those become ProviderRejected. A 500 without that shape
    is a real fault: ProviderUnavailable.

Refusals inside a 200
    finalize may answer 200 ``{"message": "Fail", "isLocked": true}`` or ``"isLimited":
    true``: AccountLocked / CreditLimited (both ProviderRejected; nothing moved).

Checks before sending
    A missing session, merchant key or sign-in field, and an amount that is not whole
    rupiah in IDR, are refused before any request: ProviderInputError (a
    ProviderRejected and a ValueError) with ``http_status=None``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import requests

from providers.base import errors
from providers.base.client import ProviderClient, Reply, RetryPolicy, Timeouts
from providers.base.exactjson import loads as load_json
from providers.base.money import Money
from providers.base.redaction import mask_phone
from providers.vospay.errors import AccountLocked, CreditLimited
from providers.vospay.types import (
    AccessToken,
    Account,
    AccountList,
    Activation,
    AuthorizedTransaction,
    Contract,
    ContractList,
    FinalizedTransaction,
    InstallmentPlan,
    Merchant,
    MerchantList,
    Multifinance,
    NotifyCallback,
    OrderItem,
    OtpSent,
    Profile,
    ProfileAccount,
    TransactionVerification,
)

PROVIDER = "vospay"
CURRENCY = "IDR"

OtpAction = Literal["activation", "transaction"]
Strategy = Literal["otp", "email", "phone"]

CONTRACT_STATUSES = {
    "Pending": "pending",
    "Approved": "succeeded",
    "Edited": "succeeded",  # the merchant revised the order; the contract stands
    "Fulfilled": "succeeded",
    "Settled": "succeeded",
    "Cancelled": "cancelled",
    "Refund": "refunded",
}
VERIFY_STATUSES = {"Valid": "succeeded", "Invalid": "failed"}

SESSION_REJECTED = (
    errors.ProviderAuthenticationError,
    "access_token_rejected",
    "Vospay did not accept the customer's session. Ask the customer to sign in again with an OTP.",
)


class VospayClient(ProviderClient):
    provider: ClassVar[str] = PROVIDER
    currency: ClassVar[str] = CURRENCY
    # OTPs travel as "code"; NIK, birth date and the account number are personal data.
    redact_keys: ClassVar[tuple[str, ...]] = ("code", "nik", "dateOfBirth", "facebookAccount", "vospayNumber")

    def __init__(
        self,
        *,
        base_url: str,
        session: requests.Session | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        merchant_key: str | None = None,
    ) -> None:
        super().__init__(base_url=base_url, session=session, timeouts=timeouts, retry=retry)
        self.merchant_key = merchant_key
        self.add_secrets(merchant_key)

    def _auth(self, operation: str) -> dict[str, Any]:
        """Nothing at connection level: see "Whose session" in the module docstring."""
        return {}

    # -- connection ----------------------------------------------------------------------
    def check(self) -> str:
        """Vospay has no connection credential to prove, so prove that the base URL is
        Vospay: an empty sign-in must get its documented 400 in Vospay's error shape.
        It sends no OTP and changes nothing."""
        reply = self._request(
            "POST", "/authentication", operation="check", ok=(400,), safe=True,
            json_body={"strategy": "otp"},
        )
        if not _is_vospay_error(reply.body):
            raise self.error(
                errors.ProviderInvalidResponse, "check",
                "The address answered, but not the way Vospay does. Check the base URL.",
                code="not_vospay", reply=reply,
            )
        return "Vospay answered. It needs no connection credentials: each customer signs in with an OTP."

    # -- OTP and sign-in -----------------------------------------------------------------
    def send_otp(
        self,
        *,
        phone: str,
        action: OtpAction,
        gross_amount: Money | None = None,
        merchant_key: str | None = None,
    ) -> OtpSent:
        """Text the customer an OTP, for activation or for one purchase (then the merchant
        and the gross amount are part of the request, and of the SMS)."""
        phone = national_phone(phone)
        params: dict[str, str] = {"action": action}
        if action == "transaction":
            key = self._merchant_key("send_otp", merchant_key)
            if gross_amount is None:
                raise _input_error("send_otp", "gross_amount_missing", "A transaction OTP needs the gross amount.")
            params |= {"merchantKey": key, "grossAmount": str(_wire_amount("send_otp", gross_amount))}
        reply = self._request(
            "GET", f"/otp/{quote(phone, safe='')}", operation="send_otp", params=params, safe=False,
            # The path is the customer's phone: log lines show only its last four digits.
            shown_path=f"/otp/{mask_phone(phone)}",
            documented={500: self._shaped_500(
                "send_otp", "otp_refused",
                "Vospay could not send an OTP: the phone number is not registered with Vospay or is not valid.",
            )},
        )
        return self._result("send_otp", reply, lambda b: OtpSent(phone, action, str(b["message"])))

    def create_access_token(
        self,
        *,
        strategy: Strategy,
        phone: str | None = None,
        code: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> AccessToken:
        """Sign a customer in: ``otp`` (phone + code), ``email`` or ``phone`` (+ access
        code as ``password``). Each OTP confirmation gives a fresh token."""
        body = _sign_in_body("create_access_token", strategy, phone=phone, code=code, email=email, password=password)
        reply = self._request(
            "POST", "/authentication", operation="create_access_token", ok=(200, 201),
            json_body=body, sensitive=(code, password),
            documented={
                400: (errors.ProviderRejected, "sign_in_incomplete",
                      "Vospay needs the phone number and the OTP, or the e-mail or phone and the access code."),
                401: (errors.ProviderAuthenticationError, "sign_in_failed",
                      "Vospay did not accept this code. Check the OTP or access code and try again."),
            },
        )
        # The token is a per-customer secret: redacted by key in this answer, passed as
        # ``sensitive`` on each call it authorises, never registered process-wide.
        return self._result("create_access_token", reply, lambda b: _access_token(b, strategy))

    # -- onboarding ----------------------------------------------------------------------
    def activate_account(
        self, *, access_token: str, mfc_code: str, nik: str, phone: str, date_of_birth: date
    ) -> Activation:
        """Activate the account number a multifinance company (``mfc_code``) offered."""
        reply = self._call(
            "POST", "/activation", "activate_account", access_token, ok=(200, 201),
            json_body={
                "mfcCode": mfc_code, "nik": nik, "phone": national_phone(phone),
                "dateOfBirth": date_of_birth.strftime("%Y%m%d"),
            },
            documented={
                400: (errors.ProviderRejected, "activation_mismatch",
                      "The MFC code, NIK, phone number and birth date do not match an activation "
                      "offered by the multifinance company."),
                500: self._shaped_500("activate_account", "activation_incomplete",
                                      "Vospay refused the activation request as incomplete."),
            },
        )
        # The doc's schema spells it "hsaRegistered", its example "hasRegistered".
        return self._result("activate_account", reply, lambda b: Activation(
            has_registered=_bool(b["hasRegistered"] if "hasRegistered" in b else b["hsaRegistered"])
        ))

    def register_account(
        self, *, access_token: str, vospay_number: str, password: str, email: str | None = None
    ) -> str:
        """Give an activated account an access code (``password``) and optionally an e-mail."""
        body = {"vospayNumber": vospay_number, "password": password}
        if email:
            body["email"] = email
        reply = self._call(
            "PATCH", "/registration", "register_account", access_token, json_body=body, sensitive=(password,),
            documented={
                400: (errors.ProviderRejected, "registration_invalid",
                      "Vospay refused the registration: the access code or e-mail is missing or not valid."),
                404: (errors.ProviderRejected, "account_not_found",
                      "Vospay has no such account number for this customer."),
            },
        )
        return self._result("register_account", reply, _message)

    def change_access_code(self, *, access_token: str, new_access_code: str) -> str:
        reply = self._call(
            "POST", "/change-password", "change_access_code", access_token,
            json_body={"password": new_access_code}, sensitive=(new_access_code,),
            documented={
                400: (errors.ProviderRejected, "access_code_invalid", "Vospay refused the new access code."),
                404: (errors.ProviderRejected, "account_not_found",
                      "The customer has no registered Vospay account, so the access code was not changed."),
            },
        )
        return self._result("change_access_code", reply, _message)

    # -- reads ---------------------------------------------------------------------------
    def accounts(self, *, access_token: str, phone: str | None = None) -> AccountList:
        """The customer's account numbers; with ``phone``, only those on that phone."""
        reply = self._call(
            "GET", "/accounts", "accounts", access_token,
            params={"phone": national_phone(phone)} if phone else None,
            documented={404: (errors.ProviderRejected, "accounts_not_found",
                              "Vospay has no account for this customer or phone number.")},
        )
        return self._result("accounts", reply, _account_list)

    def merchants(self, *, access_token: str, merchant_key: str | None = None) -> MerchantList:
        """Every merchant, or with ``merchant_key`` the one with that key (an empty list
        if none)."""
        reply = self._call(
            "GET", "/merchants", "merchants", access_token,
            params={"merchantKey": merchant_key} if merchant_key else None,
        )
        return self._result("merchants", reply, _merchant_list)

    def profile(self, *, access_token: str) -> Profile:
        reply = self._call("GET", "/my-profile", "profile", access_token)
        return self._result("profile", reply, _profile)

    def contracts(self, *, access_token: str, limit: int | None = None, skip: int | None = None) -> ContractList:
        """The customer's installment contracts, newest first. ``limit`` / ``skip`` are
        Feathers' ``$limit`` / ``$skip`` (the doc shows the page fields, not the knobs)."""
        params = {k: v for k, v in (("$limit", limit), ("$skip", skip)) if v is not None}
        reply = self._call("GET", "/transactions", "contracts", access_token, params=params or None)
        return self._result("contracts", reply, _contract_list)

    # -- checkout ------------------------------------------------------------------------
    def authorize_transaction(
        self,
        *,
        access_token: str,
        vospay_number: str,
        order_id: str,
        items: Iterable[OrderItem],
        shipping_cost: Money | None = None,
        insurance_cost: Money | None = None,
        processing_fee: Money | None = None,
        tax: Money | None = None,
        merchant_key: str | None = None,
    ) -> AuthorizedTransaction:
        """Open a transaction and get the installment plans the multifinance offers. Moves
        nothing. The gross amount is computed here so it always adds up."""
        op = "authorize_transaction"
        items = tuple(items)
        costs = [_wire_amount(op, m or Money(Decimal(0), CURRENCY))
                 for m in (shipping_cost, insurance_cost, processing_fee, tax)]
        prices = [_wire_amount(op, i.price) for i in items]
        gross = sum(i.quantity * price for i, price in zip(items, prices, strict=True)) + sum(costs)
        body = {
            "vospayNumber": vospay_number, "merchantKey": self._merchant_key(op, merchant_key),
            "orderID": order_id, "currency": CURRENCY,
            "items": [{"name": i.name, "quantity": i.quantity, "price": price}
                      for i, price in zip(items, prices, strict=True)],
            "shippingCost": costs[0], "insuranceCost": costs[1],
            "processingFee": costs[2], "tax": costs[3], "grossAmount": gross,
        }
        reply = self._call(
            "POST", "/authorize-transaction", "authorize_transaction", access_token, json_body=body,
            documented={
                400: (errors.ProviderRejected, "order_invalid",
                      "Vospay refused the order: its amounts, currency or items are not valid."),
                404: (errors.ProviderRejected, "account_or_merchant_not_found",
                      "Vospay does not know this account number or merchant for this customer."),
            },
        )
        amount = Money(Decimal(gross), CURRENCY)
        return self._result("authorize_transaction", reply, lambda b: _authorized(b, order_id, amount))

    def finalize_transaction(
        self, *, access_token: str, transaction_id: str, installment_id: str, notify_url: str
    ) -> FinalizedTransaction:
        """Commit the chosen plan (``access_token`` from the transaction OTP). Never
        re-sent; see "Finalize moves money" in the module docstring."""
        reply = self._call(
            "POST", "/finalize-transaction", "finalize_transaction", access_token, moves_money=True,
            json_body={"notifyEndpoint": notify_url, "transactionID": transaction_id, "installmentID": installment_id},
            documented={
                400: (errors.ProviderRejected, "installment_invalid",
                      "Vospay does not offer this installment plan for this transaction."),
                401: (errors.ProviderAuthenticationError, "access_token_rejected",
                      "Vospay did not accept the customer's confirmation. Send a new OTP and try again."),
                404: (errors.ProviderRejected, "transaction_not_found",
                      "Vospay does not know this transaction for this customer."),
                # 409 and 500 are left to the base on purpose: unknown outcomes (module
                # docstring). The doc lists no 409; "already finalized" may well mean this
                # very request finalized it before the answer was lost, and a 409 from a
                # proxy says nothing at all, so verify_transaction settles it.
            },
        )
        self._raise_if_refused(reply)
        return self._result(
            "finalize_transaction", reply, lambda b: _finalized(b, transaction_id, installment_id), moves_money=True
        )

    def verify_transaction(self, *, transaction_id: str, order_id: str, gross_amount: Money) -> TransactionVerification:
        """Ask Vospay whether this transaction was finalized with these order details.
        Needs no session, only reads: safe to retry, and how an unknown finalize or an
        unsigned notify is confirmed."""
        reply = self._request(
            "POST", "/verify-transaction", operation="verify_transaction", safe=True,
            json_body={
                "transactionID": transaction_id, "orderID": order_id,
                "currency": gross_amount.currency, "grossAmount": _wire_amount("verify_transaction", gross_amount),
            },
            documented={
                404: (errors.ProviderRejected, "transaction_not_found", "Vospay does not know this transaction."),
                500: self._shaped_500("verify_transaction", "verify_incomplete",
                                      "Vospay refused the verification request as incomplete."),
            },
        )
        return self._result("verify_transaction", reply, lambda b: _verification(b, transaction_id))

    # -- helpers -------------------------------------------------------------------------
    def _call(self, method: str, path: str, operation: str, access_token: str, *,
              documented: dict | None = None, sensitive: Iterable[str | None] = (), **kwargs: Any) -> Reply:
        """A protected call: the customer's JWT, and the documented 401 on every one."""
        if not access_token:
            raise _input_error(operation, "access_token_missing",
                               "This Vospay call needs the customer's session: sign the customer in first.")
        return self._request(
            method, path, operation=operation,
            headers={"Authorization": f"JWT {access_token}"},
            documented={401: SESSION_REJECTED, **(documented or {})},
            sensitive=(access_token, *sensitive), **kwargs,
        )

    def _shaped_500(self, operation: str, code: str, message: str) -> Callable[[Reply], errors.ProviderError | None]:
        """A documented 500 is a refusal only if it carries Vospay's error shape."""

        def spec(reply: Reply) -> errors.ProviderError | None:
            if not _is_vospay_error(reply.body):
                return None
            return self.error(errors.ProviderRejected, operation, message, code=code, reply=reply)

        return spec

    def _merchant_key(self, operation: str, merchant_key: str | None) -> str:
        key = merchant_key or self.merchant_key
        if not key:
            raise _input_error(operation, "merchant_key_missing",
                               "No Vospay merchant key: pass merchant_key or set it on the connection.")
        return key

    def _raise_if_refused(self, reply: Reply) -> None:
        body = reply.body
        if not isinstance(body, dict) or body.get("message") != "Fail":
            return
        number = body.get("vospayNumber")
        kwargs = dict(provider=self.provider, operation="finalize_transaction", http_status=reply.status,
                      upstream_message=self._upstream_message(reply), vospay_number=number)
        if body.get("isLocked"):
            raise AccountLocked(**kwargs)
        if body.get("isLimited"):
            raise CreditLimited(**kwargs)
        raise self.error(errors.ProviderRejected, "finalize_transaction",
                         "Vospay declined the purchase without giving a reason.", code="finalize_failed", reply=reply)


# -- module-level parsing ----------------------------------------------------------------
def parse_notify_callback(body: bytes | str | dict) -> NotifyCallback:
    """Read the body Vospay POSTs to ``notifyEndpoint``. Unsigned: confirm with
    ``verify_transaction`` before acting on it."""
    try:
        data = load_json(body)
        if not isinstance(data, dict):
            raise TypeError("not an object")
        raw = str(data["status"])
        return NotifyCallback(
            transaction_id=_text(data["transactionID"]),
            order_id=_text(data["orderID"]),
            gross_amount=Money.parse(data["grossAmount"], data.get("currency") or CURRENCY),
            raw_status=raw,
            status=CONTRACT_STATUSES.get(raw, "unknown"),
            vospay_number=data.get("vospayNumber"),
            installment_id=_opt_text(data.get("installmentID")),
            contract_number=_opt_text(data.get("contractNumber")),
            timestamp=_iso(data.get("timestamp")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise errors.ProviderInvalidResponse(
            "The Vospay notification could not be read.",
            provider=PROVIDER, operation="notify_callback", code="invalid_callback",
        ) from e


def national_phone(phone: str) -> str:
    """Vospay writes Indonesian phones in national form (08...): +62 / 62 become 0."""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if digits.startswith("+62"):
        return "0" + digits[3:]
    if digits.startswith("62") and len(digits) >= 11:
        return "0" + digits[2:]
    return digits.lstrip("+")


def _is_vospay_error(body: Any) -> bool:
    return isinstance(body, dict) and {"name", "message", "className"} <= body.keys()


_SIGN_IN_FIELDS = {"phone": "the phone number", "code": "the OTP", "email": "the e-mail address",
                   "password": "the access code"}


def _sign_in_body(operation: str, strategy: str, **fields: str | None) -> dict[str, str]:
    needed = {"otp": ("phone", "code"), "email": ("email", "password"), "phone": ("phone", "password")}
    if strategy not in needed:
        raise _input_error(operation, "invalid_sign_in_strategy", "The sign-in strategy must be otp, email or phone.")
    missing = [_SIGN_IN_FIELDS[name] for name in needed[strategy] if not fields.get(name)]
    if missing:
        raise _input_error(operation, "sign_in_incomplete",
                           f"Signing in to Vospay with strategy {strategy} needs {' and '.join(missing)}.")
    body = {"strategy": strategy, **{name: fields[name] for name in needed[strategy]}}
    if "phone" in body:
        body["phone"] = national_phone(body["phone"])
    return body


def _input_error(operation: str, code: str, message: str) -> errors.ProviderInputError:
    """A check made before sending failed: nothing reached Vospay."""
    return errors.ProviderInputError(message, provider=PROVIDER, operation=operation, code=code)


def _wire_amount(operation: str, money: Money) -> int:
    """Vospay amounts are whole rupiah as JSON numbers."""
    if not isinstance(money, Money):
        raise _input_error(operation, "invalid_amount", "Vospay amounts must be given as Money in IDR.")
    if money.currency != CURRENCY:
        raise _input_error(operation, "currency_not_supported", f"Vospay takes IDR only, not {money.currency}.")
    if not money.amount.is_finite() or money.amount != money.amount.to_integral_value():
        raise _input_error(operation, "invalid_amount", "Vospay amounts must be whole rupiah, with no decimals.")
    return money.to_minor()


def _idr(value: Any) -> Money:
    return Money.parse(value, CURRENCY)


def _count(value: Any) -> int:
    """The doc's merchant list shows counts as "3," (strings with a comma): accept both."""
    return int(str(value).strip().rstrip(","))


def _text(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise ValueError(f"not an identifier: {value!r}")
    return str(value)


def _opt_text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"not a boolean: {value!r}")
    return value


def _yyyymmdd(value: Any) -> date | None:
    if not value:
        return None
    return datetime.strptime(str(value), "%Y%m%d").date()


def _iso(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _message(body: dict) -> str:
    return _text(body["message"])


def _access_token(body: dict, strategy: str) -> AccessToken:
    token = body["accessToken"]
    if not isinstance(token, str) or not token:
        raise ValueError("no accessToken")
    claims = _jwt_claims(token)
    expires = claims.get("exp")
    return AccessToken(
        token=token,
        strategy=strategy,
        user_id=_opt_text(claims.get("userId")),
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int | float) else None,
    )


def _jwt_claims(token: str) -> dict:
    """The token's payload, unverified (only Vospay can verify it): for the user ID and
    expiry Paydesk shows, never for a decision."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _multifinance(data: dict) -> Multifinance:
    return Multifinance(name=_text(data["name"]), logo=data.get("logo"), phone=data.get("phone"),
                        email=data.get("email"))


def _account_list(body: dict) -> AccountList:
    accounts = tuple(
        Account(vospay_number=_text(a["vospayNumber"]), multifinance=_multifinance(a["multifinance"]))
        for a in body["data"]
    )
    return AccountList(total=_count(body.get("total", len(accounts))), accounts=accounts)


def _merchant_list(body: dict) -> MerchantList:
    merchants = tuple(
        Merchant(
            merchant_id=_text(m["_id"]), name=_text(m["name"]), merchant_key=_text(m["merchantKey"]),
            icon=m.get("icon"), logo=m.get("logo"), site=m.get("site"),
        )
        for m in body["data"]
    )
    return MerchantList(total=_count(body.get("total", len(merchants))), merchants=merchants)


def _authorized(body: dict, order_id: str, gross: Money) -> AuthorizedTransaction:
    plans = tuple(
        InstallmentPlan(
            installment_id=_text(p["installmentID"]), period=int(p["period"]),
            rate=Decimal(str(p["rate"])), monthly_payment=_idr(p["monthlyPayment"]),
        )
        for p in body["installments"]
    )
    return AuthorizedTransaction(
        transaction_id=_text(body["transactionID"]), order_id=order_id,
        vospay_number=_text(body["vospayNumber"]), full_name=str(body.get("fullName") or ""),
        gross_amount=gross, available_credit=_idr(body["availableCredit"]), credit_limit=_idr(body["creditLimit"]),
        account_expiry=_yyyymmdd(body.get("accountExpiry")), installment_plans=plans,
        merchant_logo=body.get("merchantLogo"), mfc_logo=body.get("mfcLogo"),
    )


def _finalized(body: dict, transaction_id: str, installment_id: str) -> FinalizedTransaction:
    if body["message"] != "Success":
        raise ValueError(f"unexpected finalize message {body['message']!r}")
    return FinalizedTransaction(transaction_id=transaction_id, installment_id=installment_id,
                                raw_status="Success", status="succeeded")


def _verification(body: dict, transaction_id: str) -> TransactionVerification:
    raw = body["status"]
    if raw not in VERIFY_STATUSES:
        raise ValueError(f"unexpected verify status {raw!r}")
    return TransactionVerification(transaction_id=transaction_id, raw_status=raw, status=VERIFY_STATUSES[raw],
                                   processed_at=_iso(body.get("timestamp")))


def _profile(body: dict) -> Profile:
    return Profile(
        full_name=_text(body["fullName"]), email=body.get("email"), nik=_text(body["nik"]),
        accounts=tuple(_profile_account(a) for a in body.get("accounts") or ()),
    )


def _profile_account(a: dict) -> ProfileAccount:
    return ProfileAccount(
        vospay_number=_text(a["vospayNumber"]), mfc_code=_text(a["mfcCode"]), phone=_text(a["phone"]),
        is_locked=_bool(a["isLocked"]), credit_limit=_idr(a["creditLimit"]),
        available_credit=_idr(a["availableCredit"]), activated_at=_iso(a.get("activatedAt")),
        account_expiry=_iso(a.get("accountExpiry")), multifinance=_multifinance(a["multifinance"]),
    )


def _contract_list(body: dict) -> ContractList:
    contracts = tuple(_contract(c) for c in body["data"])
    return ContractList(total=_count(body.get("total", len(contracts))), contracts=contracts)


def _contract(c: dict) -> Contract:
    detail = c["transactionDetail"]
    currency = detail.get("currency") or CURRENCY
    raw = str(detail["status"])
    return Contract(
        contract_number=_text(c["contractNumber"]), vospay_number=_text(c["vospayNumber"]),
        transaction_id=_text(detail["transactionID"]), order_id=_text(detail["orderID"]),
        merchant_name=(c.get("merchantDetail") or {}).get("name"),
        period=int(c["period"]), remaining_period=int(c["remainingPeriod"]),
        installment=Money.parse(c["installment"], currency),
        transaction_amount=Money.parse(c["transactionAmount"], currency),
        interest_rate=Decimal(str(c["interestRate"])),
        next_payment_due=_yyyymmdd(c.get("nextPaymentDue")), transaction_date=_yyyymmdd(c.get("transactionDate")),
        raw_status=raw, status=CONTRACT_STATUSES.get(raw, "unknown"),
        items=tuple(
            OrderItem(name=str(i.get("name") or ""), quantity=int(i["quantity"]),
                      price=Money.parse(i["price"], currency))
            for i in detail.get("items") or ()
        ),
        **{field: Money.parse(detail[key], currency) if detail.get(key) is not None else None
           for field, key in _CONTRACT_COSTS},
    )


_CONTRACT_COSTS = (("shipping_cost", "shippingCost"), ("insurance_cost", "insuranceCost"),
                   ("processing_fee", "processingFee"), ("tax", "tax"))
