"""EnKash's failure codes, shared by the client (to classify) and the sandbox (to answer).

EnKash answers every call after the token in one envelope,
``{"response_code": int, "response_message": str, "payload": ...}``; 0 is success and any
other code is a failure, whatever the HTTP status says. The token call answers
``{"token", "expiry", "resultCode", "resultMessage"}`` and uses the same numbers.

Each code maps to the HTTP status the sandbox (and, as far as is public, EnKash) sends
with it, the Paydesk error class, a stable Paydesk ``code`` and a plain sentence.
"""

from __future__ import annotations

from typing import NamedTuple

from providers.base import errors


class Failure(NamedTuple):
    http_status: int
    error: type[errors.ProviderError]
    code: str
    sentence: str


OK = 0
INVALID_REQUEST = 1001
DUPLICATE_ORDER_ID = 1002
ORDER_NOT_PAYABLE = 1003
AMOUNT_MISMATCH = 1004
PAYMENT_MODE_DISABLED = 1005
BNPL_OPTION_UNAVAILABLE = 1006
REFUND_EXCEEDS_BALANCE = 1007
NOT_REFUNDABLE = 1008
REFUND_REQUEST_CONFLICT = 1009
DUPLICATE_CUSTOMER = 1010
QR_CODE_NOT_PAYABLE = 1011
ORDER_NOT_FOUND = 1404
TRANSACTION_NOT_FOUND = 1405
SETTLEMENT_PAYOUT_NOT_FOUND = 1406
QR_CODE_NOT_FOUND = 1407
CUSTOMER_NOT_FOUND = 1408
INVALID_CREDENTIALS = 4001
TOKEN_REJECTED = 4002
MERCHANT_INACTIVE = 4003
ACCESS_KEY_MISMATCH = 4004

_R, _A = errors.ProviderRejected, errors.ProviderAuthenticationError

FAILURES: dict[int, Failure] = {
    INVALID_REQUEST: Failure(400, _R, "invalid_request", "EnKash rejected the request as invalid."),
    DUPLICATE_ORDER_ID: Failure(409, _R, "duplicate_order_id", "An order with this order id already exists at EnKash."),
    ORDER_NOT_PAYABLE: Failure(
        422, _R, "order_not_payable", "This order can no longer be paid: it is paid, cancelled or expired."
    ),
    AMOUNT_MISMATCH: Failure(422, _R, "amount_mismatch", "The payment amount does not match the order amount."),
    PAYMENT_MODE_DISABLED: Failure(
        422, _R, "payment_mode_disabled", "This payment mode is not enabled for the merchant at EnKash."
    ),
    BNPL_OPTION_UNAVAILABLE: Failure(
        422, _R, "bnpl_option_unavailable", "The chosen pay-later option is not available for this order."
    ),
    REFUND_EXCEEDS_BALANCE: Failure(
        422, _R, "refund_exceeds_balance", "The refund is larger than the amount left to refund on this payment."
    ),
    NOT_REFUNDABLE: Failure(422, _R, "not_refundable", "This payment cannot be refunded because it has not succeeded."),
    REFUND_REQUEST_CONFLICT: Failure(
        409, _R, "refund_request_conflict", "This refund request id was already used for a different refund."
    ),
    DUPLICATE_CUSTOMER: Failure(409, _R, "duplicate_customer", "A QR customer with this mobile number already exists."),
    QR_CODE_NOT_PAYABLE: Failure(422, _R, "qr_code_not_payable", "This QR code is cancelled or already used."),
    ORDER_NOT_FOUND: Failure(404, _R, "order_not_found", "EnKash has no order with this order id."),
    TRANSACTION_NOT_FOUND: Failure(404, _R, "transaction_not_found", "EnKash has no payment with this transaction id."),
    SETTLEMENT_PAYOUT_NOT_FOUND: Failure(
        404, _R, "settlement_payout_not_found", "EnKash has no settlement payout with this id."
    ),
    QR_CODE_NOT_FOUND: Failure(404, _R, "qr_code_not_found", "EnKash has no QR code with this id."),
    CUSTOMER_NOT_FOUND: Failure(404, _R, "customer_not_found", "EnKash has no QR customer with this id."),
    INVALID_CREDENTIALS: Failure(
        401, _A, "invalid_credentials", "EnKash did not accept the connection's access key and secret key."
    ),
    TOKEN_REJECTED: Failure(
        401, _A, "token_rejected", "EnKash did not accept the session token, even after issuing a new one."
    ),
    MERCHANT_INACTIVE: Failure(403, _A, "merchant_inactive", "The EnKash merchant account is not active."),
    ACCESS_KEY_MISMATCH: Failure(
        403, _A, "access_key_mismatch", "The merchantAccessKey header does not belong to the token's merchant."
    ),
}

# When the body carries no code we know, the HTTP status alone decides.
BY_HTTP_STATUS: dict[int, Failure] = {
    400: FAILURES[INVALID_REQUEST],
    401: FAILURES[TOKEN_REJECTED],
    403: FAILURES[MERCHANT_INACTIVE],
    404: Failure(404, _R, "not_found", "EnKash could not find what was asked for."),
    409: Failure(409, _R, "conflict", "EnKash refused the request because it conflicts with an earlier one."),
    422: Failure(422, _R, "unprocessable", "EnKash could not process the request."),
}
