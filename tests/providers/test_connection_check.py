"""The "test connection" action calls the provider's cheapest authenticated endpoint
on the real sandbox and records the outcome on the connection."""

import pytest
from django.urls import reverse

from accounts.management.commands.seed_demo import sandbox_credentials
from accounts.models import Role
from providers.models import ProviderConnection
from providers.registry import PROVIDERS
from providers.services import connection_test, connection_upsert
from tests.factories import MembershipFactory, MerchantFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_sandbox_credentials_check_healthy(sandbox, provider):
    connection, _ = connection_upsert(
        merchant=MerchantFactory(), provider=provider, mode="test",
        base_url=sandbox.base_url(provider), credentials=sandbox_credentials(provider),
    )
    result = connection_test(connection=connection)
    assert result.ok, result.message
    connection.refresh_from_db()
    assert connection.status == ProviderConnection.Status.HEALTHY
    assert connection.last_checked_at is not None
    assert connection.last_error == ""


@pytest.mark.parametrize("provider", sorted(p for p, s in PROVIDERS.items() if s.required_credentials))
def test_wrong_credentials_check_failing_with_a_clear_message(sandbox, provider):
    wrong = {name: f"wrong-{name}-value-0000" for name in PROVIDERS[provider].required_credentials}
    connection, _ = connection_upsert(
        merchant=MerchantFactory(), provider=provider, mode="test",
        base_url=sandbox.base_url(provider), credentials=wrong,
    )
    result = connection_test(connection=connection)
    assert not result.ok
    connection.refresh_from_db()
    assert connection.status == ProviderConnection.Status.FAILING
    assert connection.last_error == result.message
    assert "wrong-" not in result.message  # the secret is not echoed back


def test_unreachable_provider_is_failing_not_a_crash(settings):
    settings.PROVIDER_CONNECT_TIMEOUT = 0.5
    connection, _ = connection_upsert(
        merchant=MerchantFactory(), provider="enigmapay", mode="test",
        base_url="http://127.0.0.1:9/enigmapay/api/dealer",
        credentials={"api_key": "k" * 12, "secret_key": "s" * 12},
    )
    result = connection_test(connection=connection)
    assert not result.ok
    assert "could not reach" in result.message


def test_owner_clicks_test_connection_and_sees_the_result(client, sandbox):
    merchant = MerchantFactory()
    membership = MembershipFactory(merchant=merchant, role=Role.OWNER)
    client.force_login(membership.user)
    connection, _ = connection_upsert(
        merchant=merchant, provider="enigmapay", mode="test",
        base_url=sandbox.base_url("enigmapay"), credentials=sandbox_credentials("enigmapay"),
    )
    page = client.post(reverse("providers:connection-test", args=[connection.pk]), follow=True).content.decode()
    assert 'data-testid="status">Healthy<' in page
    assert ProviderConnection.objects.get(pk=connection.pk).status == "healthy"
