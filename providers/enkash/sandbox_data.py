"""The EnKash sandbox's documented test data (the README's "Test data" table).

Every value here is invented for the sandbox: the keys are not EnKash keys and the card
numbers are Luhn-valid numbers in no issuer's range that any real network would honour.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class TestMerchant:
    name: str
    access_key: str
    secret_key: str
    active: bool = True
    upi_id: str = "paydeskdemo@enkash"
    disabled_modes: tuple[str, ...] = ()
    # Where settlement payouts go (masked in answers).
    account_number: str = "50100012345678"
    ifsc: str = "HDFC0001234"


DEMO_MERCHANT = TestMerchant(
    "Paydesk Demo Store", "enk_test_ak_demo_7Q2mX9pL4vR8", "enk_test_sk_demo_Zp3Nw6Yt1Hq5Lb9D",
    disabled_modes=("CORPORATE_CARD",),
)
SECOND_MERCHANT = TestMerchant(
    "Second Test Store", "enk_test_ak_second_K4d8Rw2Tn6Vb", "enk_test_sk_second_Qm7Hx3Jc9Pf1Ls5E",
    upi_id="secondstore@enkash", account_number="918020045612377", ifsc="UTIB0000123",
)
INACTIVE_MERCHANT = TestMerchant(
    "Suspended Store", "enk_test_ak_inactive_Wz5Ye1Ug8Ko3", "enk_test_sk_inactive_Bt4Nq8Vr2Xd6Hj0M", active=False,
)
MERCHANTS = (DEMO_MERCHANT, SECOND_MERCHANT, INACTIVE_MERCHANT)
# The connection credentials `seed_demo` gives the demo merchant.
DEMO_CREDENTIALS = {"access_key": DEMO_MERCHANT.access_key, "secret_key": DEMO_MERCHANT.secret_key}


@dataclass(frozen=True)
class Outcome:
    """What the bank does with a payment: ``first`` at once, then ``final`` after the
    sandbox's completion delay (None: it stays as it is)."""

    first: str
    final: str | None = None
    reason: str | None = None
    refunds_fail: bool = False
    label: str = field(default="", compare=False)


SUCCESS = Outcome("SUCCESS", label="succeeds at once")
LATER_SUCCESS = Outcome("PENDING_WITH_BANK", "SUCCESS", label="pending with the bank, then succeeds")
STUCK = Outcome("PENDING_WITH_BANK", label="stays pending with the bank")

CARDS: dict[str, Outcome] = {
    "4100000000000001": SUCCESS,
    "4100000000000019": LATER_SUCCESS,
    "4100000000000027": Outcome("FAILED", reason="Insufficient funds.", label="fails: insufficient funds"),
    "4100000000000035": Outcome("FAILED", reason="Declined by the issuing bank.", label="fails: issuer declined"),
    "4100000000000043": STUCK,
    "4100000000000050": Outcome(
        "PENDING_WITH_BANK", "FAILED", "The bank did not confirm the payment.", label="pending, then fails"
    ),
    "4100000000000068": Outcome("SUCCESS", refunds_fail=True, label="succeeds; every refund of it fails"),
    "5100000000000008": SUCCESS,  # Mastercard debit
    "6070000000000002": SUCCESS,  # RuPay prepaid
    "5200000000000007": SUCCESS,  # corporate card (a mode the demo merchant has not enabled)
}
UNKNOWN_CARD = Outcome("FAILED", reason="Use one of the sandbox test cards.")
EXPIRED_CARD = Outcome("FAILED", reason="The card has expired.")

VPAS: dict[str, Outcome] = {
    "success@enkash": LATER_SUCCESS,
    "failure@enkash": Outcome(
        "PENDING_WITH_BANK", "FAILED", "The payer declined the collect request.", label="pending, then fails"
    ),
    "pending@enkash": STUCK,
}
INVALID_VPA = "invalid@enkash"  # answered 400: the VPA does not exist
UNKNOWN_VPA = Outcome("FAILED", reason="Use one of the sandbox test VPAs.")

BANKS: dict[str, Outcome] = {  # NET_BANKING bankCode
    "HDFC": LATER_SUCCESS,
    "ICIC": Outcome("PENDING_WITH_BANK", "FAILED", "The payer cancelled at the bank.", label="pending, then fails"),
    "UTIB": STUCK,
    "SBIN": SUCCESS,
}
WALLETS: dict[str, Outcome] = {  # WALLET bankCode
    "PAYTM": SUCCESS,
    "MOBIKWIK": Outcome("FAILED", reason="Insufficient wallet balance.", label="fails: wallet balance"),
}
UNKNOWN_BANK = Outcome("FAILED", reason="This bank is not available in the sandbox.")
TPV_MISMATCH = Outcome("FAILED", reason="The account does not belong to the chosen bank.")

BNPL_OPTIONS = (
    {"bnplPaymentOptionId": "bnpl_lazypay_test", "provider": "LAZYPAY", "displayName": "LazyPay (sandbox)",
     "minAmount": Decimal("1.00"), "maxAmount": Decimal("10000.00"), "outcome": SUCCESS},
    {"bnplPaymentOptionId": "bnpl_simpl_test", "provider": "SIMPL", "displayName": "Simpl (sandbox)",
     "minAmount": Decimal("100.00"), "maxAmount": Decimal("25000.00"),
     "outcome": Outcome("FAILED", reason="The customer was not approved for pay later.", label="fails")},
    {"bnplPaymentOptionId": "bnpl_enkash_test", "provider": "ENKASH_PAY_LATER",
     "displayName": "EnKash Pay Later (sandbox)", "minAmount": Decimal("500.00"),
     "maxAmount": Decimal("200000.00"), "outcome": LATER_SUCCESS},
)

# Order amounts that decide the bank's answer whatever the payment mode.
AMOUNT_OUTCOMES: dict[Decimal, Outcome] = {
    Decimal("1.01"): Outcome("FAILED", reason="Declined by the bank (sandbox amount 1.01).", label="fails"),
    Decimal("1.02"): STUCK,
}
MAX_ORDER_AMOUNT = Decimal("500000.00")  # above: create_order answers 400

# MDR and GST the sandbox deducts when it settles.
MDR_RATE = Decimal("0.02")
GST_RATE = Decimal("0.18")

# Every secret value the sandbox accepts; none may ever appear in a log line. CVVs are
# not listed: the sandbox takes any three digits, which also occur in ordinary text.
TEST_SECRETS: tuple[str, ...] = (
    *(m.access_key for m in MERCHANTS),
    *(m.secret_key for m in MERCHANTS),
    *CARDS,
)


def notify_checksum(body: dict, secret_key: str) -> str:
    """The sandbox's notify checksum (EnKash's own algorithm is not public): hex
    HMAC-SHA256, keyed by the merchant's secret key, of
    ``orderId|transactionId|amount|transactionStatus|orderStatus``."""
    message = "|".join(
        str(body.get(k, "")) for k in ("orderId", "transactionId", "amount", "transactionStatus", "orderStatus")
    )
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()
