# ruff: noqa: S105  (fixed test keys and tokens are the point of this module, as in sandbox.py)
"""The EoneoPay sandbox's documented test data (see README "Test data").

Every value is invented: the card numbers pass the Luhn check but sit in all-zero test
ranges no issuer uses, and the keys spell out that they belong to the sandbox.
"""

from __future__ import annotations

# API keys (HTTP Basic user name, empty password).
SECRET_KEY = "sk_test_PaydeskSandboxSecret0001"  # standard key: customers, payments, refunds
ADMIN_KEY = "sk_test_PaydeskSandboxAdmin00001"  # administrator key ("+"): also manages API keys
REVOKED_KEY = "sk_test_PaydeskSandboxRevoked001"  # revoked: 401 on every call
LIVE_KEY = "sk_live_PaydeskSandboxLive000001"  # a live key: the sandbox refuses it with 401
# What seed_demo and the "test connection" test give a sandbox connection.
DEMO_CREDENTIALS = {"secret_key": SECRET_KEY, "admin_key": ADMIN_KEY}
PUBLIC_KEYS = {
    SECRET_KEY: "pk_test_PaydeskSandboxPublic0001",
    ADMIN_KEY: "pk_test_PaydeskSandboxPublic0002",
    REVOKED_KEY: "pk_test_PaydeskSandboxPublic0003",
}

# Test cards: PAN -> the card network response code a payment with it gets.
CARD_APPROVED_VISA = "4000000000000002"
CARD_APPROVED_MASTERCARD = "5555000000000008"
CARD_APPROVED_MASTERCARD_2SERIES = "2221000000000009"
CARD_APPROVED_AMEX = "370000000000002"  # CVV has four digits
CARD_DO_NOT_HONOUR = "4000000000000507"  # declined "05"
CARD_INSUFFICIENT_FUNDS = "4000000000005100"  # declined "51"
CARD_EXPIRED = "4000000000005407"  # declined "54"
CARD_UNSUPPORTED = "6011000000000004"  # passes Luhn, not Visa / Master Card / Amex: 400
CARD_BAD_LUHN = "4000000000000001"  # fails the Luhn check: 400

CARD_RESPONSES = {
    CARD_DO_NOT_HONOUR: ("05", "Do Not Honour"),
    CARD_INSUFFICIENT_FUNDS: ("51", "Insufficient Funds"),
    CARD_EXPIRED: ("54", "Expired Card"),
}

# The seeded demo customer and its cards' tokens (issued at fixed values).
DEMO_CUSTOMER_ID = "cus_PaydeskDemo00001"
DEMO_TOKEN_VISA = "8800000000000002"  # CARD_APPROVED_VISA
DEMO_TOKEN_DECLINING = "8800000000000051"  # CARD_INSUFFICIENT_FUNDS
DEMO_PAYMENT_TXN_ID = "273040"  # an approved, refundable payment of 742.00 AUD

# Payment amounts (cents) that trigger an answer instead of a charge.
AMOUNT_RATE_LIMITED = 42900  # 429, nothing charged
AMOUNT_SERVER_ERROR = 50000  # charged, then 500: the answer is lost (outcome unknown)
AMOUNT_UNAVAILABLE = 50300  # 503, nothing charged
# Payment amounts whose payment succeeds but whose refund triggers an answer.
AMOUNT_REFUND_RATE_LIMITED = 42910  # refund: 429, nothing refunded
AMOUNT_REFUND_SERVER_ERROR = 50010  # refund: refunded, then 500 (outcome unknown)
AMOUNT_REFUND_UNAVAILABLE = 50310  # refund: 503, nothing refunded
MAX_AMOUNT = 99_999_999  # 999,999.99 AUD; above it: 400

TEST_CARDS = (
    CARD_APPROVED_VISA,
    CARD_APPROVED_MASTERCARD,
    CARD_APPROVED_MASTERCARD_2SERIES,
    CARD_APPROVED_AMEX,
    CARD_DO_NOT_HONOUR,
    CARD_INSUFFICIENT_FUNDS,
    CARD_EXPIRED,
    CARD_UNSUPPORTED,
    CARD_BAD_LUHN,
)

# Every secret value the sandbox accepts or issues at a fixed value. CVVs are not
# fixed (any of the right length is accepted), so none is listed.
TEST_SECRETS: tuple[str, ...] = (
    SECRET_KEY,
    ADMIN_KEY,
    REVOKED_KEY,
    LIVE_KEY,
    *TEST_CARDS,
    DEMO_TOKEN_VISA,
    DEMO_TOKEN_DECLINING,
)
