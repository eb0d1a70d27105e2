"""Members and API keys of two merchants, and small builders for API records."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from accounts.models import Role
from accounts.services import api_key_create
from providers.models import WebhookEvent
from tests.factories import MembershipFactory, MerchantFactory


@pytest.fixture
def merchant_a():
    return MerchantFactory(name="Alpha Bazaar", slug="alpha")


@pytest.fixture
def merchant_b():
    return MerchantFactory(name="Beta Books", slug="beta")


def session_client(merchant, role, *, csrf: bool = False) -> Client:
    """A test client signed in as a fresh member of ``merchant`` with ``role``."""
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    return client


def key_client(merchant, role=Role.MANAGER) -> Client:
    """A test client sending a new API key of ``merchant`` on every request."""
    _, raw_key = api_key_create(merchant=merchant, name=f"{role} key", role=role, created_by=None)
    client = Client(headers={"authorization": f"Bearer {raw_key}"})
    client.raw_key = raw_key
    return client


def webhook_event(connection, body: str = '{"transactionId": "TX1", "status": "COMPLETED"}') -> WebhookEvent:
    return WebhookEvent.objects.create(
        connection=connection, provider=connection.provider, headers={"Content-Type": "application/json"},
        body=body, body_sha256=hashlib.sha256(body.encode()).hexdigest(),
    )


def assert_error(response, status: int, code: str) -> dict:
    """The response is the one error shape with this status and code; returns the error."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]
