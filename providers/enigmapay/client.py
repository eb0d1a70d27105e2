"""EnigmaPay dealer API client (API Integration Guide v3.2).

Policy that is not obvious:
- Every call is signed the same way: ``X-API-Key`` and ``X-Hash`` = hex SHA-256 of the
  API key followed by the secret key. The hash never changes, so it is as secret as the
  secret key itself: both, and the hash, are scrubbed from logs and errors.
- Reads (settings, ibans, transactions, transaction-status) are GETs: the base retries
  them with backoff on timeouts and 5xx.
- send-money moves money and the API has no idempotency key, so it is sent exactly once
  (``moves_money=True``): a timeout, a connection dropped after sending, an unreadable
  2xx and every answer that does not prove EnigmaPay did nothing (anything but a
  documented refusal or a status in ``MONEY_NOT_ACTED``, ``providers/base/client.py``)
  raises ProviderOutcomeUnknown. The answer that would have carried the transaction id is then
  lost, so the caller finds the payout by what it sent: the ``username`` and
  ``description`` come back in the IBAN transaction history and in the status callback.
  Put Paydesk's payout reference in the description; once the id is known,
  ``transaction_status`` is the authority.
- credit-card/payment creates a payment link and is not idempotent either, so it is
  never re-sent. It moves no money (the customer has not paid yet), so a lost answer is
  plain "unavailable": at worst it leaves an orphan link nobody is shown.
- A 2xx whose body says ``success: false`` is a refusal (ProviderRejected), never a success.
- The status callback carries no signature: ``parse_status_callback`` only reads it; the
  caller confirms the status with ``transaction_status`` before applying it.
- IBANs (checksum, length, country TR) and amounts (TRY, two decimals, the 200 TL card
  minimum) are checked before any request: ProviderInputError (a ProviderRejected and a
  ValueError) with ``http_status=None`` and code ``invalid_iban``, ``invalid_amount``,
  ``currency_not_supported`` or ``amount_below_minimum``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from providers.base.client import ErrorSpec, ProviderClient, Reply, RetryPolicy, Timeouts
from providers.base.errors import (
    ProviderAuthenticationError,
    ProviderError,
    ProviderInputError,
    ProviderInvalidResponse,
    ProviderRejected,
)
from providers.base.exactjson import loads as load_json
from providers.base.money import InvalidAmount, Money
from providers.enigmapay import parsing, wire
from providers.enigmapay.types import (
    CreditCardPayment,
    DealerSettings,
    Iban,
    IbanTransaction,
    Payout,
    StatusCallback,
    TransactionStatus,
)

PROVIDER = "enigmapay"
CURRENCY = "TRY"
CREDIT_CARD_MINIMUM = Decimal("200.00")
# The upstream recomputes IBAN balances once a minute; asking more often gains nothing.
BALANCE_REFRESH_SECONDS = 60
# What Paydesk's callback view must answer, per the doc.
CALLBACK_ACK = {"success": True}

_CENT = Decimal("0.01")
# Field named in a 422's ``errors`` → a stable code (classify by structure, not by text).
_FIELD_CODES = {"amount": "invalid_amount", "customer_iban": "invalid_iban"}


class EnigmaPayClient(ProviderClient):
    provider = PROVIDER
    currency = CURRENCY

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        secret_key: str,
        session: requests.Session | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(base_url=base_url, session=session, timeouts=timeouts, retry=retry)
        if not api_key or not secret_key:
            raise ValueError("EnigmaPay needs both an api_key and a secret_key.")
        self._api_key = api_key
        self._hash = wire.request_hash(api_key, secret_key)
        self.add_secrets(api_key, secret_key, self._hash)

    def _auth(self, operation: str) -> dict[str, Any]:
        return {
            "headers": {
                "X-API-Key": self._api_key,
                "X-Hash": self._hash,
                "Accept": "application/json",
                "Content-Type": "application/json",
            }
        }

    # -- operations ------------------------------------------------------------------------
    def check(self) -> str:
        """The cheapest authenticated call: the dealer settings."""
        found = self.settings()
        card = "on" if found.credit_card.active else "off"
        eiban = "on" if found.eiban.active else "off"
        return f"EnigmaPay accepted the credentials (credit card payments {card}, e-IBAN payouts {eiban})."

    def settings(self) -> DealerSettings:
        reply = self._call("GET", "/settings", operation="settings")
        return self._result("settings", reply, parsing.build_settings)

    def ibans(self) -> tuple[Iban, ...]:
        """Assigned IBANs with balances as of the upstream's last (once a minute) refresh."""
        reply = self._call("GET", "/ibans", operation="ibans")
        return self._result("ibans", reply, parsing.build_ibans)

    def iban_transactions(
        self, *, iban_id: int, start_date: date | None = None, end_date: date | None = None
    ) -> tuple[IbanTransaction, ...]:
        params: dict[str, Any] = {"iban_id": iban_id}
        if start_date is not None:
            params["start_date"] = start_date.strftime(wire.DATE_FORMAT)
        if end_date is not None:
            params["end_date"] = end_date.strftime(wire.DATE_FORMAT)
        reply = self._call(
            "GET", "/transactions", operation="iban_transactions", params=params,
            errors={404: (ProviderRejected, "iban_not_found", "EnigmaPay has no IBAN with that id on this account.")},
        )
        return self._result("iban_transactions", reply, parsing.build_iban_transactions)

    def send_money(
        self,
        *,
        username: str,
        amount: Money | Decimal | int,
        customer_iban: str,
        customer_name: str,
        description: str | None = None,
    ) -> Payout:
        """Pay out to a customer's IBAN. Sent once, never retried (see module docstring)."""
        operation = "send_money"
        value = self._amount(operation, amount)
        body: dict[str, Any] = {
            "username": username,
            "amount": value,
            "customer_iban": self._iban(operation, customer_iban),
            "customer_name": customer_name,
        }
        if description:
            body["description"] = description
        reply = self._call(
            "POST", "/send-money", operation=operation, body=body, moves_money=True,
            errors={
                400: (ProviderRejected, "insufficient_balance",
                      "The EnigmaPay IBANs do not hold enough balance for this payout."),
                403: self._refusal(operation, "payout_rejected", "EnigmaPay refused the payout"),
            },
        )
        return self._result(operation, reply, lambda b: parsing.build_payout(b, body), moves_money=True)

    def transaction_status(self, *, transaction_id: int) -> TransactionStatus:
        reply = self._call(
            "GET", "/transaction-status", operation="transaction_status",
            params={"transaction_id": transaction_id},
            errors={404: (ProviderRejected, "transaction_not_found",
                          "EnigmaPay has no transaction with that id on this account.")},
        )
        return self._result("transaction_status", reply, parsing.build_transaction_status)

    def credit_card_payment(
        self,
        *,
        username: str,
        firstname: str,
        lastname: str,
        email: str,
        phone: str,
        amount: Money | Decimal | int,
        description: str | None = None,
    ) -> CreditCardPayment:
        """Create a card payment link (min 200 TL). Not idempotent: sent once."""
        operation = "credit_card_payment"
        value = self._amount(operation, amount, minimum=CREDIT_CARD_MINIMUM)
        body: dict[str, Any] = {
            "username": username, "firstname": firstname, "lastname": lastname,
            "email": email, "phone": phone, "amount": value,
        }
        if description:
            body["description"] = description
        reply = self._call(
            "POST", "/credit-card/payment", operation=operation, body=body,
            errors={403: (ProviderRejected, "credit_card_disabled",
                          "Credit card payments are not enabled for this EnigmaPay dealer account; "
                          "ask EnigmaPay support to activate them.")},
        )
        return self._result(operation, reply, parsing.build_credit_card_payment)

    # -- plumbing ----------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        errors: Mapping[int, ErrorSpec] | None = None,
        moves_money: bool = False,
    ) -> Reply:
        documented: dict[int, ErrorSpec] = {
            401: (ProviderAuthenticationError, "invalid_credentials",
                  "EnigmaPay did not accept the API key and secret key. Check the connection's credentials."),
            422: self._invalid_fields(operation),
            **(errors or {}),
        }
        reply = self._request(
            method, path, operation=operation, params=params, documented=documented, moves_money=moves_money,
            json_body=body,
        )
        if reply.get("success") is False:
            raise self._refusal(operation, "declined", "EnigmaPay declined the request")(reply)
        return reply

    def _refusal(self, operation: str, code: str, prefix: str) -> Callable[[Reply], ProviderError]:
        """An error spec that keeps the upstream's own reason in the sentence."""
        return lambda reply: self.error(
            ProviderRejected, operation, self._sentence(prefix, reply), code=code, reply=reply
        )

    def _invalid_fields(self, operation: str) -> Callable[[Reply], ProviderError]:
        def spec(reply: Reply) -> ProviderError:
            fields = reply.get("errors")
            names = list(fields) if isinstance(fields, dict) else []
            code = next((_FIELD_CODES[n] for n in names if n in _FIELD_CODES), "invalid_request")
            return self.error(
                ProviderRejected, operation, self._sentence("EnigmaPay did not accept the request", reply),
                code=code, reply=reply,
            )

        return spec

    def _sentence(self, prefix: str, reply: Reply) -> str:
        reason = self._upstream_message(reply)
        return f"{prefix}: {reason.rstrip('.')}." if reason else f"{prefix}."

    def _local_error(self, operation: str, code: str, message: str) -> ProviderError:
        """A check made before sending failed: nothing reached EnigmaPay."""
        return self.error(ProviderInputError, operation, message, code=code)

    def _amount(self, operation: str, amount: Money | Decimal | int, *, minimum: Decimal | None = None) -> Decimal:
        if isinstance(amount, Money):
            if amount.currency != CURRENCY:
                raise self._local_error(
                    operation, "currency_not_supported", "EnigmaPay handles Turkish lira (TRY) only."
                )
            amount = amount.amount
        if isinstance(amount, int) and not isinstance(amount, bool):
            amount = Decimal(amount)
        if not _is_lira(amount):
            raise self._local_error(
                operation, "invalid_amount", "The amount must be a positive number of lira with at most two decimals."
            )
        if minimum is not None and amount < minimum:
            raise self._local_error(
                operation, "amount_below_minimum", f"EnigmaPay card payments must be at least {minimum} TL."
            )
        return amount.quantize(_CENT)

    def _iban(self, operation: str, value: str) -> str:
        problem = wire.iban_problem(value)
        if problem:
            raise self._local_error(operation, "invalid_iban", f"The customer IBAN is not valid: {problem}.")
        return wire.compact_iban(value)


def _is_lira(amount: object) -> bool:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        return False
    try:
        return amount == amount.quantize(_CENT)
    except InvalidOperation:
        return False


def parse_status_callback(body: bytes | str | Mapping[str, Any]) -> StatusCallback:
    """Read EnigmaPay's status callback. It is unsigned: confirm with ``transaction_status``
    before applying it. A body that cannot be read raises ProviderInvalidResponse."""
    try:
        data = load_json(body)
        return parsing.build_status_callback(data)
    except (ValueError, KeyError, TypeError, AttributeError, InvalidAmount) as e:
        raise ProviderInvalidResponse(
            "EnigmaPay sent a status callback Paydesk could not read.",
            provider=PROVIDER, operation="status_callback", code="invalid_callback",
        ) from e
