"""What Paydesk keeps from EnayaPay's answers. Secrets stay out of ``repr``."""

from __future__ import annotations

from dataclasses import dataclass, field

from providers.base.money import Money


@dataclass(frozen=True, slots=True)
class Registration:
    """A new, not yet verified account; EnayaPay has sent an OTP to the phone."""

    phone: str
    otp_sent: bool = True


@dataclass(frozen=True, slots=True)
class Verification:
    """The phone is verified; ``token`` opens the password and card calls."""

    phone: str
    user_name: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """Answer of login and password reset. ``status`` is EnayaPay's raw word."""

    user_name: str
    status: str

    @property
    def active(self) -> bool:
        return self.status.lower() == "active"


@dataclass(frozen=True, slots=True)
class PasswordChange:
    detail: str


@dataclass(frozen=True, slots=True)
class CardBalance:
    """A card balance from the EBS switch. The PAN is kept only as first six / last four."""

    pan_masked: str
    balance: Money
    response_code: int
    response_status: str
    uuid: str
