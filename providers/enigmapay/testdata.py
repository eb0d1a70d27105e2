"""The EnigmaPay sandbox's documented test data (README "Test data"): invented credentials,
assigned IBANs and the customer IBANs that trigger each outcome. Every IBAN here has valid
TR check digits (generated with schwifty)."""

from __future__ import annotations

from providers.enigmapay import wire

TEST_API_KEY = "enigma_test_key_dealer_7Kq2Lm9x"
TEST_SECRET_KEY = "enigma_test_secret_R4vT8nW2pQ6z"  # noqa: S105 (sandbox only)
CARD_OFF_API_KEY = "enigma_test_key_nocard_3Hs8Dk1v"  # dealer with credit card payments off
CARD_OFF_SECRET_KEY = "enigma_test_secret_Y7bN2cX5mJ9e"  # noqa: S105 (sandbox only)
# What the demo seed connects with (``seed_demo`` reads it).
DEMO_CREDENTIALS = {"api_key": TEST_API_KEY, "secret_key": TEST_SECRET_KEY}
# The hashes open the API as well as the secrets do, so they are secrets too.
TEST_SECRETS: tuple[str, ...] = (
    TEST_API_KEY,
    TEST_SECRET_KEY,
    wire.request_hash(TEST_API_KEY, TEST_SECRET_KEY),
    CARD_OFF_API_KEY,
    CARD_OFF_SECRET_KEY,
    wire.request_hash(CARD_OFF_API_KEY, CARD_OFF_SECRET_KEY),
)

# Assigned (dealer) IBANs.
DEALER_IBAN_1 = "TR560006200000000000000101"  # id 1, Active, 125,000.00
DEALER_IBAN_2 = "TR520004600000000000000102"  # id 2, Active, 48,250.75
DEALER_IBAN_3 = "TR040001000000000000000103"  # id 3, Inactive, 0.00 (never debited)
CARD_OFF_DEALER_IBAN = "TR830006700000000000000201"  # id 4, second dealer, 10,000.00

# Customer IBANs for send-money.
CUSTOMER_IBAN_OK = "TR880006400000000000001001"  # Pending → Completed (any other valid TR IBAN too)
CUSTOMER_IBAN_BLOCKED = "TR540006400000000000002001"  # 403 at once: transfers to it refused
CUSTOMER_IBAN_FAILS = "TR200006400000000000003001"  # Pending → Failed, balance credited back
CUSTOMER_IBAN_REJECTED = "TR900006400000000000003002"  # Pending → Rejected, balance credited back
CUSTOMER_IBAN_CANCELLED = "TR630006400000000000003003"  # Pending → Cancelled, balance credited back
FINAL_STATUS = {
    CUSTOMER_IBAN_FAILS: "Failed",
    CUSTOMER_IBAN_REJECTED: "Rejected",
    CUSTOMER_IBAN_CANCELLED: "Cancelled",
}

# Turkish names on purpose (non-ASCII on the wire); the dotless i (U+0131) is a letter, not a typo.
_OWNER, _OTHER_OWNER = "Sandbox Bayi Ltd. Şti.", "Kartsiz Bayi A.Ş."
SEED_IBANS = (
    # id, dealer api key, IBAN, owner, bank, status, balance
    (1, TEST_API_KEY, DEALER_IBAN_1, _OWNER, "Türkiye Garanti Bankası A.Ş.", "Active", "125000.00"),  # noqa: RUF001
    (2, TEST_API_KEY, DEALER_IBAN_2, _OWNER, "Akbank T.A.Ş.", "Active", "48250.75"),
    (3, TEST_API_KEY, DEALER_IBAN_3, _OWNER, "T.C. Ziraat Bankası A.Ş.", "Inactive", "0.00"),  # noqa: RUF001
    (4, CARD_OFF_API_KEY, CARD_OFF_DEALER_IBAN, _OTHER_OWNER, "Yapı ve Kredi Bankası A.Ş.", "Active",  # noqa: RUF001
     "10000.00"),
)
CUSTOMERS = {
    "ayse.yilmaz": ("Ayşe Yılmaz", "TR080006400000000000000501"),  # noqa: RUF001
    "mdemir": ("Mehmet Demir", "TR800001200000000000000502"),
    "zozturk": ("Zeynep Öztürk", "TR790001500000000000000503"),
}
SEED_HISTORY = (
    # id, dealer api key, IBAN id, type, amount, when (Turkish time), customer username, description
    (1001, TEST_API_KEY, 1, "deposit", "100000.00", "2025-11-20 10:15:00", "ayse.yilmaz", "Deposit"),
    (1002, TEST_API_KEY, 1, "deposit", "20000.00", "2025-11-24 09:00:00", "mdemir", "Deposit"),
    (1003, TEST_API_KEY, 1, "deposit", "5000.00", "2025-11-26 14:30:00", "zozturk", "Deposit"),
    (1004, TEST_API_KEY, 2, "deposit", "50000.00", "2025-11-25 16:45:10", "ayse.yilmaz", "Deposit"),
    (1005, TEST_API_KEY, 2, "withdrawal", "1749.25", "2025-11-26 11:20:00", "mdemir", "Withdrawal request"),
    (1006, TEST_API_KEY, 3, "deposit", "1000.00", "2025-10-01 12:00:00", "zozturk", "Deposit"),
    (1007, TEST_API_KEY, 3, "withdrawal", "1000.00", "2025-10-02 12:00:00", "zozturk", "Withdrawal request"),
    (1008, CARD_OFF_API_KEY, 4, "deposit", "10000.00", "2025-11-22 08:30:00", "ayse.yilmaz", "Deposit"),
)
