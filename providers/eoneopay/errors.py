"""How EoneoPay's answers map onto Paydesk's error hierarchy.

EoneoPay signals errors two ways:
- an HTTP status (400, 401, 403, 404, 405, 406, 410, 429, 500, 503), mapped per operation
  below (4xx and 429) or in ``SERVER_ERRORS`` (5xx, left undocumented to ``_request`` so
  that reads are retried and money-moving calls become "outcome unknown");
- a 2xx answer whose ``code`` is not zero. Success is the number ``0`` or the string
  ``"0"`` / ``"00"`` (refunds send ``"00"``); any other code is a definite refusal: the
  card network's response code on a payment (``CardDeclined``), on a refund
  (``refund_declined``), or a plain refusal elsewhere. A code that is not a whole number
  cannot be classified and counts as an unreadable answer.
"""

from __future__ import annotations

from providers.base.client import ErrorSpec
from providers.base.errors import (
    ProviderAuthenticationError,
    ProviderRejected,
    ProviderUnavailable,
)


class CardDeclined(ProviderRejected):
    """The card network declined a payment: no money moved. ``response_code`` is the
    network's code ("05", "51"...), ``txn_id`` the declined transaction, if sent."""

    default_code = "card_declined"
    default_message = "The card issuer declined the payment."
    response_code: str | None = None
    txn_id: str | None = None


Spec = tuple[type, str, str]

COMMON: dict[int, Spec] = {
    400: (ProviderRejected, "bad_request", "EoneoPay rejected the request as invalid."),
    401: (
        ProviderAuthenticationError,
        "authentication_failed",
        "EoneoPay did not accept the secret key; check the connection's credentials.",
    ),
    403: (
        ProviderAuthenticationError,
        "admin_key_required",
        "EoneoPay refused the call because it needs an administrator API key.",
    ),
    404: (ProviderRejected, "not_found", "EoneoPay has no such record."),
    405: (
        ProviderRejected,
        "method_not_allowed",
        "EoneoPay does not accept this request method here; Paydesk's EoneoPay integration may be out of date.",
    ),
    406: (
        ProviderRejected,
        "not_acceptable",
        "EoneoPay could not answer in JSON, the only format Paydesk reads.",
    ),
    410: (ProviderRejected, "gone", "The record was removed from EoneoPay."),
    429: (
        ProviderUnavailable,
        "rate_limited",
        "EoneoPay is limiting the number of requests. Please try again in a moment.",
    ),
}

_API_KEYS: dict[int, Spec] = {
    401: (
        ProviderAuthenticationError,
        "authentication_failed",
        "EoneoPay did not accept the admin key; check the connection's credentials.",
    ),
    403: (
        ProviderAuthenticationError,
        "admin_key_required",
        "The configured admin key does not have administrator permissions on EoneoPay.",
    ),
    404: (ProviderRejected, "api_key_not_found", "EoneoPay has no such API key."),
    410: (ProviderRejected, "api_key_revoked", "This API key has already been revoked."),
}

_CUSTOMER_RECORD: dict[int, Spec] = {
    404: (ProviderRejected, "customer_not_found", "EoneoPay has no customer with this ID."),
    410: (ProviderRejected, "customer_deleted", "This customer was deleted from EoneoPay."),
}

_CUSTOMER_DETAILS: dict[int, Spec] = {
    400: (
        ProviderRejected,
        "invalid_customer",
        "EoneoPay rejected the customer details; check the card number, expiry date (MM/YY), "
        "CVV and bank account.",
    ),
}

PER_OPERATION: dict[str, dict[int, Spec]] = {
    "api_key_create": _API_KEYS,
    "api_key_get": _API_KEYS,
    "api_key_revoke": _API_KEYS,
    "customer_create": _CUSTOMER_DETAILS,
    "customer_update": {**_CUSTOMER_DETAILS, **_CUSTOMER_RECORD},
    "customer_delete": _CUSTOMER_RECORD,
    "customer_get": _CUSTOMER_RECORD,
    "customer_list": {},
    "payment_create": {
        400: (
            ProviderRejected,
            "invalid_payment",
            "EoneoPay rejected the payment; check the amount (whole cents above zero), the "
            "currency (AUD) and the reference.",
        ),
        404: (ProviderRejected, "card_not_found", "EoneoPay has no card with this token."),
        410: (
            ProviderRejected,
            "card_removed",
            "The card's customer was deleted from EoneoPay, so the card can no longer be charged.",
        ),
    },
    "payment_refund": {
        400: (
            ProviderRejected,
            "refund_invalid",
            "EoneoPay cannot refund this payment (a declined payment has nothing to refund).",
        ),
        404: (ProviderRejected, "payment_not_found", "EoneoPay has no payment with this transaction ID."),
        410: (
            ProviderRejected,
            "already_refunded",
            "This payment has already been refunded; EoneoPay refunds a payment once, in full.",
        ),
    },
}

# Not passed to ``_request`` as documented: see the module docstring.
SERVER_ERRORS: dict[int, Spec] = {
    500: (
        ProviderUnavailable,
        "server_error",
        "EoneoPay had an internal error and could not complete the request. Please try again shortly.",
    ),
    503: (
        ProviderUnavailable,
        "service_unavailable",
        "EoneoPay is temporarily unavailable. Please try again shortly.",
    ),
}

# Card network response codes seen on declined payments.
DECLINES: dict[str, tuple[str, str]] = {
    "05": ("do_not_honour", "The card issuer declined the payment (do not honour); ask for another card."),
    "51": ("insufficient_funds", "The card does not have enough funds for this payment."),
    "54": ("expired_card", "The card has expired; ask for another card."),
}


def documented(operation: str) -> dict[int, ErrorSpec]:
    """Every documented 4xx status of ``operation``, mapped to an error spec."""
    return {**COMMON, **PER_OPERATION[operation]}


def answer_code(body: dict) -> str:
    """The ``code`` of a 2xx answer as a digit string. Raises KeyError, TypeError or
    ValueError (an unreadable answer) when it is missing or not a whole number."""
    code = body["code"]
    if isinstance(code, bool) or not isinstance(code, int | str):
        raise TypeError(f"code must be a number or a digit string, got {type(code).__name__}")
    text = str(code).strip()
    if not text.isdigit():
        raise ValueError("code is not a whole number")
    return text


def is_success(code: str) -> bool:
    """0, "0" and "00" all mean success."""
    return int(code) == 0


def refusal(operation: str, code: str) -> tuple[type, str, str]:
    """The error class, stable code and sentence for a non-zero ``code`` in a 2xx answer."""
    if operation == "payment_create":
        reason, sentence = DECLINES.get(
            code, ("card_declined", f"The card issuer declined the payment (response code {code}).")
        )
        return CardDeclined, reason, sentence
    if operation == "payment_refund":
        return ProviderRejected, "refund_declined", f"EoneoPay did not refund the payment (response code {code})."
    return ProviderRejected, "refused", f"EoneoPay refused the request (response code {code})."
