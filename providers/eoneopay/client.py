"""EoneoPay (Australia, AUD in integer cents): API keys, customers with tokenised cards
and bank accounts, card payments by token, refunds.

Policy that is not obvious:
- Auth is HTTP Basic with a key as the user name and an empty password. API-key calls
  use the admin key; without one they fail here, before anything is sent. The key's
  prefix is the mode: ``sk_test_`` never reaches the card networks, ``sk_live_`` does.
- Every check made before sending (admin key present, key prefixes in ``check``, the
  amount: AUD, whole cents, above zero) raises ProviderInputError (a ProviderRejected
  and a ValueError) with ``http_status=None``.
- Bodies are form fields holding compact JSON (``customer=<json>``, ``payment=<json>``),
  as the doc's curl shows. In log lines the JSON is shown with card numbers, CVVs and
  tokens masked (``_JsonField``).
- ``payment_create`` and ``payment_refund`` move money: never re-sent. A timeout, a
  connection dropped after sending, an unreadable 2xx and every answer that does not
  prove EoneoPay did nothing (anything but a documented refusal or a status in
  ``MONEY_NOT_ACTED``, ``providers/base/client.py``) is ``ProviderOutcomeUnknown``.
  The doc has no payment-status call, so nothing here can resolve it: see the README
  ("Unknown outcomes"). A successful payment is trusted only if the answer echoes the token and
  amount that were sent.
- A 2xx answer is a success only if its ``code`` is 0 (number) or "0"/"00" (string);
  any other code is a definite refusal (see ``errors.py``).
- Reads (GET) are retried by the base. ``customer_update`` is a PUT that replaces the
  whole record, so a repeat is harmless and it is retried too, unless it carries new
  card numbers: those would be tokenised twice. Other writes are sent once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests

from providers.base.client import ProviderClient, Reply, RetryPolicy, Timeouts
from providers.base.errors import ProviderAuthenticationError, ProviderInputError
from providers.base.money import InvalidAmount, Money
from providers.base.redaction import mask_pan, redact_mapping
from providers.eoneopay import errors
from providers.eoneopay.types import (
    REFUNDED,
    SUCCEEDED,
    Acknowledgement,
    ApiKey,
    ApiKeyPair,
    BankAccount,
    Card,
    Customer,
    NewCard,
    Payment,
    Refund,
)

API_KEY_OPERATIONS = frozenset({"api_key_create", "api_key_get", "api_key_revoke"})
# Creates are documented without a status; both "OK" and "Created" are accepted.
CREATED = (200, 201)
MODES = {"sk_test_": "test", "sk_live_": "live"}


def key_mode(key: str | None) -> str | None:
    """"test" or "live" from a secret key's prefix; None for anything else."""
    for prefix, mode in MODES.items():
        if key and key.startswith(prefix):
            return mode
    return None


class _JsonField(str):
    """A form field holding JSON: sent as is, but shown (repr/str) with secrets masked,
    so that the base client's log line cannot carry a card number or CVV."""

    def __new__(cls, payload: Any, redact_keys: Iterable[str]) -> _JsonField:
        field = super().__new__(cls, _compact(payload))
        field._shown = _compact(redact_mapping(payload, tuple(redact_keys)))
        return field

    def __repr__(self) -> str:
        return repr(self._shown)

    def __str__(self) -> str:
        return self._shown


class EoneoPayClient(ProviderClient):
    provider = "eoneopay"
    currency = "AUD"
    # Card and bank account numbers, and CVVs, in request JSON and answers.
    redact_keys = ("number", "cvv")

    def __init__(
        self,
        *,
        base_url: str,
        secret_key: str,
        admin_key: str | None = None,
        session: requests.Session | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(base_url=base_url, session=session, timeouts=timeouts, retry=retry)
        self.secret_key = secret_key
        self.admin_key = admin_key
        self.add_secrets(secret_key, admin_key)

    @property
    def mode(self) -> str | None:
        """The mode the secret key selects: "test", "live", or None if unrecognised."""
        return key_mode(self.secret_key)

    @classmethod
    def credentials_mode(cls, credentials: Mapping[str, str]) -> str | None:
        """The secret key's prefix says test or live; a connection must agree with it."""
        return key_mode(credentials.get("secret_key"))

    def _auth(self, operation: str) -> dict[str, Any]:
        key = self.admin_key if operation in API_KEY_OPERATIONS else self.secret_key
        return {"auth": (key or "", "")}

    def check(self) -> str:
        """List customers with the secret key and, if there is one, look up the admin
        key with itself: together they prove both keys work."""
        self._check_key_prefixes()
        customers = self.customer_list()
        sentence = f"EoneoPay accepted the {self.mode} secret key ({len(customers)} customers)."
        if self.admin_key:
            key = self.api_key_get(api_key=self.admin_key)
            if not key.is_admin or key.status != "active":
                raise self.error(
                    ProviderAuthenticationError, "check",
                    "The admin key works but is not an active administrator key on EoneoPay.",
                    code="admin_key_required",
                )
            sentence += " The admin key can manage API keys."
        return sentence

    # -- API keys ------------------------------------------------------------------------
    def api_key_create(self) -> ApiKeyPair:
        op = "api_key_create"
        self._require_admin_key(op)
        reply = self._request("POST", "/apikeys", operation=op, ok=CREATED, documented=errors.documented(op))
        pair = self._result(op, reply, _api_key_pair)
        self.add_secrets(pair.secret_key)
        return pair

    def api_key_get(self, *, api_key: str) -> ApiKey:
        op = "api_key_get"
        self._require_admin_key(op)
        reply = self._request(
            "GET", f"/apikeys/{_segment(api_key)}", operation=op,
            documented=errors.documented(op), sensitive=(api_key,),
        )
        return self._result(op, reply, _api_key)

    def api_key_revoke(self, *, api_key: str) -> Acknowledgement:
        op = "api_key_revoke"
        self._require_admin_key(op)
        reply = self._request(
            "DELETE", f"/apikeys/{_segment(api_key)}", operation=op,
            documented=errors.documented(op), sensitive=(api_key,),
        )
        return self._acknowledgement(op, reply)

    # -- customers -----------------------------------------------------------------------
    def customer_create(
        self,
        *,
        name: str,
        email: str,
        address: str = "",
        cards: Sequence[NewCard] = (),
        bank_accounts: Sequence[BankAccount] = (),
    ) -> Customer:
        op = "customer_create"
        payload = _customer_payload(name, email, address, cards, bank_accounts)
        reply = self._request(
            "POST", "/customers", operation=op, ok=CREATED, documented=errors.documented(op),
            form={"customer": _JsonField(payload, self.redact_keys)}, sensitive=_card_secrets(cards),
        )
        return self._customer_answer(op, reply)

    def customer_update(
        self,
        *,
        customer_id: str,
        name: str,
        email: str,
        address: str = "",
        cards: Sequence[NewCard | Card] = (),
        bank_accounts: Sequence[BankAccount] = (),
    ) -> Customer:
        """Replace the customer's record. Cards to keep are passed as the ``Card`` results
        of an earlier call; new ones as ``NewCard``; cards left out are removed."""
        op = "customer_update"
        payload = _customer_payload(name, email, address, cards, bank_accounts)
        reply = self._request(
            "PUT", f"/customers/{_segment(customer_id)}", operation=op, documented=errors.documented(op),
            safe=not any(isinstance(card, NewCard) for card in cards),
            form={"customer": _JsonField(payload, self.redact_keys)}, sensitive=_card_secrets(cards),
        )
        return self._customer_answer(op, reply)

    def customer_delete(self, *, customer_id: str) -> Acknowledgement:
        op = "customer_delete"
        reply = self._request(
            "DELETE", f"/customers/{_segment(customer_id)}", operation=op, documented=errors.documented(op)
        )
        return self._acknowledgement(op, reply)

    def customer_get(self, *, customer_id: str) -> Customer:
        op = "customer_get"
        reply = self._request(
            "GET", f"/customers/{_segment(customer_id)}", operation=op, documented=errors.documented(op)
        )
        self._check_code(op, reply, required=False)
        return self._result(op, reply, _customer)

    def customer_list(self) -> tuple[Customer, ...]:
        op = "customer_list"
        reply = self._request("GET", "/customers", operation=op, documented=errors.documented(op))
        return self._result(op, reply, _customers)

    # -- payments ------------------------------------------------------------------------
    def payment_create(self, *, token: str, amount: Money, reference: str) -> Payment:
        """Charge a tokenised card. Raises ``CardDeclined`` when the card network says no."""
        op = "payment_create"
        payload = {"token": token, "reference": reference, "amount": self._cents(op, amount), "currency": self.currency}
        reply = self._request(
            "POST", "/payments", operation=op, ok=CREATED, documented=errors.documented(op), moves_money=True,
            form={"payment": _JsonField(payload, self.redact_keys)}, sensitive=(token,),
        )
        self._check_code(op, reply, moves_money=True)
        return self._result(op, reply, lambda body: _payment(body, sent=payload), moves_money=True)

    def payment_refund(self, *, txn_id: str) -> Refund:
        """Refund a payment in full. EoneoPay refunds a payment once; a second refund is
        refused with 410 (``already_refunded``)."""
        op = "payment_refund"
        reply = self._request(
            "DELETE", f"/payments/{_segment(txn_id)}", operation=op,
            documented=errors.documented(op), moves_money=True,
        )
        self._check_code(op, reply, moves_money=True)
        return self._result(op, reply, lambda body: _refund(body, txn_id), moves_money=True)

    # -- helpers -------------------------------------------------------------------------
    def _error_from_reply(self, reply: Reply, operation: str):
        spec = errors.SERVER_ERRORS.get(reply.status)
        if spec is None:
            return super()._error_from_reply(reply, operation)
        cls, code, sentence = spec
        return self.error(cls, operation, sentence, code=code, reply=reply)

    def _check_code(self, operation: str, reply: Reply, *, moves_money: bool = False, required: bool = True) -> None:
        """Raise the refusal a non-zero ``code`` in a 2xx answer stands for."""
        if not required and not (isinstance(reply.body, dict) and "code" in reply.body):
            return
        code = self._result(operation, reply, errors.answer_code, moves_money=moves_money)
        if errors.is_success(code):
            return
        cls, reason, sentence = errors.refusal(operation, code)
        error = self.error(cls, operation, sentence, code=reason, reply=reply)
        if isinstance(error, errors.CardDeclined):
            error.response_code = code
            txn_id = reply.get("txnID")
            error.txn_id = str(txn_id) if txn_id is not None else None
        raise error

    def _customer_answer(self, operation: str, reply: Reply) -> Customer:
        self._check_code(operation, reply)
        return self._result(operation, reply, lambda body: _customer(body["customer"]))

    def _acknowledgement(self, operation: str, reply: Reply) -> Acknowledgement:
        self._check_code(operation, reply)
        return self._result(
            operation, reply, lambda body: Acknowledgement(_text(body["code"]), _text(body.get("message", "")))
        )

    def _require_admin_key(self, operation: str) -> None:
        if not self.admin_key:
            raise self.error(
                ProviderInputError, operation,
                "Managing EoneoPay API keys needs an admin key, and this connection has none: "
                "add the admin_key credential.",
                code="admin_key_missing",
            )

    def _check_key_prefixes(self) -> None:
        if self.mode is None:
            raise self.error(
                ProviderInputError, "check",
                "The EoneoPay secret key should start with sk_test_ (test mode) or sk_live_ (live mode).",
                code="unrecognised_key",
            )
        if self.admin_key and key_mode(self.admin_key) != self.mode:
            raise self.error(
                ProviderInputError, "check",
                f"The EoneoPay admin key is not a {self.mode} key like the secret key; use keys of one mode.",
                code="mode_mismatch",
            )

    def _cents(self, operation: str, amount: Money) -> int:
        """The amount in whole cents, checked before anything is sent."""
        if not isinstance(amount, Money):
            raise self.error(ProviderInputError, operation, "An EoneoPay amount must be given as Money in AUD.",
                             code="invalid_amount")
        if amount.currency != self.currency:
            raise self.error(ProviderInputError, operation,
                             f"EoneoPay takes {self.currency} only, not {amount.currency}.",
                             code="currency_not_supported")
        try:
            if not amount.amount.is_finite():
                raise InvalidAmount("not a finite amount")
            cents = amount.to_minor()
        except InvalidAmount:
            raise self.error(ProviderInputError, operation, "An EoneoPay amount must be whole cents.",
                             code="invalid_amount") from None
        if cents <= 0:
            raise self.error(ProviderInputError, operation, "An EoneoPay payment must be above zero.",
                             code="invalid_amount")
        return cents


# -- request bodies --------------------------------------------------------------------
def _compact(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def _card_secrets(cards: Sequence[NewCard | Card]) -> tuple[str, ...]:
    values: list[str] = []
    for card in cards:
        values += [_digits(card.number), card.cvv] if isinstance(card, NewCard) else [card.token]
    return tuple(values)


def _digits(number: str) -> str:
    return re.sub(r"[\s-]", "", str(number))


def _customer_payload(name, email, address, cards, bank_accounts) -> dict[str, Any]:
    return {
        "name": name,
        "email": email,
        "address": address,
        "credit_cards": [_card_payload(card) for card in cards],
        "bank_accounts": [{"name": b.name, "number": b.number, "branch": b.branch} for b in bank_accounts],
    }


def _card_payload(card: NewCard | Card) -> dict[str, Any]:
    if isinstance(card, NewCard):
        return {"number": _digits(card.number), "expiry_date": card.expiry_date, "cvv": str(card.cvv)}
    return {
        "token": card.token,
        "creditCardInfo": {
            "pan": card.masked_pan,
            "expiryDate": card.expiry_date,
            "cardType": card.card_type,
            "cardDescription": card.description,
        },
    }


# -- answers ---------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A string field; numbers are accepted (the doc mixes "1" and 1)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return str(value)


def _cents_to_money(value: Any, currency: Any) -> Money:
    if currency != "AUD":
        raise ValueError("EoneoPay answered in a currency other than AUD")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return Money.from_minor(value, "AUD")


def _api_key_pair(body: dict) -> ApiKeyPair:
    for mode in ("test", "live"):
        if f"{mode}_secret_key" in body:
            secret = _text(body[f"{mode}_secret_key"])
            if key_mode(secret) != mode:
                raise ValueError("the new secret key does not match its mode")
            return ApiKeyPair(mode=mode, secret_key=secret, public_key=_text(body[f"{mode}_public_key"]))
    raise KeyError("test_secret_key")


def _api_key(body: dict) -> ApiKey:
    raw_status = _text(body["status"])
    status = {"1": "active", "0": "revoked"}.get(raw_status, "unknown")
    return ApiKey(
        api_key=_text(body["api_key"]), permissions=_text(body["permissions"]), raw_status=raw_status, status=status
    )


def _customers(body: list) -> tuple[Customer, ...]:
    if not isinstance(body, list):
        raise TypeError("the customer list is not a list")
    return tuple(_customer(item) for item in body)


def _customer(body: dict) -> Customer:
    return Customer(
        id=_text(body["id"]),
        name=_text(body["name"]),
        email=_text(body.get("email") or ""),
        address=_text(body.get("address") or ""),
        cards=tuple(_card(card) for card in body.get("credit_cards") or ()),
        bank_accounts=tuple(_bank_account(account) for account in body.get("bank_accounts") or ()),
    )


def _card(body: dict) -> Card:
    info = body["creditCardInfo"]
    pan = _text(info["pan"])
    return Card(
        token=_text(body["token"]),
        # A clear PAN must never be stored: mask it if the upstream ever sends one.
        masked_pan=mask_pan(pan) if pan.isdigit() else pan,
        expiry_date=_text(info["expiryDate"]),
        card_type=_text(info["cardType"]),
        description=_text(info.get("cardDescription", "")),
    )


def _bank_account(body: dict) -> BankAccount:
    branch = _text(body["branch"])
    # A BSB is six digits; one sent as a JSON number has lost its leading zero.
    return BankAccount(name=_text(body["name"]), number=_text(body["number"]), branch=branch.zfill(6))


def _payment(body: dict, *, sent: dict) -> Payment:
    detail = body["payment"]
    txn_id = _text(body["txnID"])
    amount = _cents_to_money(detail["amount"], detail["currency"])
    if amount.to_minor() != sent["amount"] or _text(detail["token"]) != sent["token"]:
        raise ValueError("the payment answer does not match the request")
    if _text(detail.get("txnID", txn_id)) != txn_id:
        raise ValueError("the payment answer carries two transaction IDs")
    return Payment(
        txn_id=txn_id,
        amount=amount,
        reference=_text(detail.get("reference", sent["reference"])),
        status=SUCCEEDED,
        raw_code=_text(body["code"]),
        message=_text(body.get("message", "")),
        token=sent["token"],
    )


def _refund(body: dict, payment_txn_id: str) -> Refund:
    detail = body["refund"]
    txn_id = _text(body.get("txnID", detail.get("txnID")))
    return Refund(
        txn_id=txn_id,
        payment_txn_id=payment_txn_id,
        amount=_cents_to_money(detail["amount"], detail["currency"]),
        reference=_text(detail.get("purchaseOrderNo", "")),
        status=REFUNDED,
        raw_code=_text(body["code"]),
        message=_text(body.get("message", "")),
    )
