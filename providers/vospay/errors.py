"""The two refusals Vospay gives inside a 200 answer to finalize-transaction.

Both are ``ProviderRejected``: Vospay understood the request, moved nothing, and said
no. They are their own classes so a checkout page can explain each one.
"""

from __future__ import annotations

from providers.base.errors import ProviderRejected


class AccountLocked(ProviderRejected):
    default_code = "account_locked"
    default_message = (
        "This Vospay account is locked, so the purchase was not made. "
        "The customer should contact their multifinance company."
    )

    def __init__(self, *args, vospay_number: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.vospay_number = vospay_number


class CreditLimited(ProviderRejected):
    default_code = "credit_limited"
    default_message = (
        "The available credit on this Vospay account is not enough for this purchase, "
        "so it was not made."
    )

    def __init__(self, *args, vospay_number: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.vospay_number = vospay_number
