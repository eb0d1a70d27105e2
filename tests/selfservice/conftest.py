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
