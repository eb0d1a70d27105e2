"""The callbacks page: each connection's latest callbacks with what applying them did,
linked to the transaction they name; only the merchant's own. The screenshot is
tests/browser/test_callbacks_page.py."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from accounts.models import Role
from providers.models import WebhookEvent
from tests.factories import ConnectionFactory, MembershipFactory, MerchantFactory, TransactionFactory, UserFactory


def event(connection, n: int, **fields) -> WebhookEvent:
    body = f'{{"transaction_id": {n}}}'
    return WebhookEvent.objects.create(connection=connection, provider=connection.provider, body=body,
                                       body_sha256=hashlib.sha256(body.encode()).hexdigest(), **fields)


def seed():
    merchant = MerchantFactory(name="Alpha Bazaar")
    MembershipFactory(user=UserFactory(username="vera"), merchant=merchant, role=Role.VIEWER)
    enigmapay = ConnectionFactory(merchant=merchant, provider="enigmapay")
    ConnectionFactory(merchant=merchant, provider="vospay")
    payout = TransactionFactory(merchant=merchant, connection=enigmapay, external_id="5001", status="succeeded")
    event(enigmapay, 5001, processing="processed", external_id="5001", attempts=1, times_received=3, trusted=True,
          outcome=f"applied to {payout.reference}: pending → succeeded")
    event(enigmapay, 987654, processing="ignored", external_id="987654", attempts=1,
          outcome="unknown transaction: no EnigmaPay transaction #987654 on this connection")
    event(enigmapay, 5002, processing="ignored", external_id="5001", attempts=1,
          outcome="not confirmed: the callback says 99999.00 TRY, EnigmaPay says 150.00 TRY")
    event(enigmapay, 5003, processing="pending", external_id="5003", attempts=2,
          error="EnigmaPay could not confirm it yet: EnigmaPay did not answer in time. (timeout)")
    event(enigmapay, 5004)
    other = ConnectionFactory(merchant=MerchantFactory(name="Other Traders"), provider="enigmapay")
    event(other, 7777, processing="processed", outcome="applied to PD-THEIRS: pending → succeeded")
    return merchant, payout


@pytest.mark.django_db
def test_members_see_each_connections_callbacks_with_their_outcome():
    _, payout = seed()
    client = Client()
    client.force_login(UserFactory(username="vera"))
    shown = client.get("/dashboard/callbacks/").content.decode()
    assert f'href="/dashboard/transactions/{payout.pk}/"><code>{payout.reference}</code>' in shown
    assert f"applied to {payout.reference}: pending → succeeded" in shown
    assert "unknown transaction: no EnigmaPay transaction #987654 on this connection" in shown
    assert "#987654" in shown  # named, but not a link: Paydesk has no such transaction
    assert "not confirmed: the callback says 99999.00 TRY, EnigmaPay says 150.00 TRY" in shown
    assert "EnigmaPay did not answer in time" in shown and "waiting to be tried again" in shown and "waiting to be applied" in shown
    assert 'data-testid="callbacks-vospay-test"' in shown and "No callbacks received on this connection yet." in shown
    assert "PD-THEIRS" not in shown and "7777" not in shown  # another merchant's
