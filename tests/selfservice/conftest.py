"""Fixtures of the customer self-service tests: the merchant's EnayaPay connection (with
the switch's IPIN public key, as seed_demo sets it) and a second merchant for isolation."""

from __future__ import annotations

import pytest

from tests.conftest import _sandbox_connection


@pytest.fixture
def enayapay(sandbox, merchant):
    """``merchant``'s EnayaPay connection on the sandbox; its credentials include
    ``ipin_public_key`` (DEMO_CREDENTIALS), so balance inquiries are enabled."""
    connection = _sandbox_connection(sandbox, merchant, "enayapay")
    assert connection.credentials.get("ipin_public_key")
    return connection


@pytest.fixture
def other_merchant(db):
    from tests.factories import MerchantFactory

    return MerchantFactory(name="Other Shop", slug="other")


def me(path: str = "", slug: str = "demo") -> str:
    return f"/me/{slug}/{path}"


ENAYA_OTP = "731904"
VOSPAY_OTP = "739146"


def html(response) -> str:
    return response.content.decode()


def enaya_register(client, *, phone: str = "0912345678", name: str = "Sara Ali", password: str = "Good-Pass-9"):
    return client.post(me("enayapay/register/"), {"name": name, "phone": phone, "password": password,
                                                  "password_confirm": password})


def enaya_signed_in(client, *, phone: str = "0912345678", name: str = "Sara Ali"):
    """Register a fresh number and verify it: the client is a signed-in EnayaPay customer."""
    assert enaya_register(client, phone=phone, name=name).status_code == 302
    response = client.post(me("enayapay/verify/"), {"code": ENAYA_OTP})
    assert response.status_code == 302 and response["Location"] == me("enayapay/")
    return response


def vospay_signed_in(client, *, phone: str = "08110000002", next_path: str | None = None):
    """Sign in with phone + OTP."""
    data = {"phone": phone, **({"next": next_path} if next_path else {})}
    assert client.post(me("vospay/signin/"), data).status_code == 302
    return client.post(me("vospay/verify/"), {"code": VOSPAY_OTP})


class Clock:
    """The OTP guard's time, frozen and moved by hand."""

    def __init__(self) -> None:
        from django.utils import timezone

        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    from accounts.selfservice import otp_guard

    frozen = Clock()
    monkeypatch.setattr(otp_guard, "clock_now", frozen)
    return frozen
