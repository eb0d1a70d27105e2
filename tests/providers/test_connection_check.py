"""The "test connection" action calls the provider's cheapest authenticated endpoint
on the real sandbox and records the outcome on the connection."""

import threading
import time

import pytest
from django import db
from django.urls import reverse

from accounts.management.commands.seed_demo import sandbox_credentials
from accounts.models import Role
from providers.models import ProviderConnection
from providers.registry import PROVIDERS
from providers.services import connection_test, connection_upsert
from tests.conftest import arm_fault
from tests.factories import ConnectionFactory, MembershipFactory, MerchantFactory
from tests.helpers import requests_to, wait_for

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


def _owner_with_enigmapay(client, sandbox):
    merchant = MerchantFactory()
    client.force_login(MembershipFactory(merchant=merchant, role=Role.OWNER).user)
    connection, _ = connection_upsert(
        merchant=merchant, provider="enigmapay", mode="test",
        base_url=sandbox.base_url("enigmapay"), credentials=sandbox_credentials("enigmapay"),
    )
    return connection


@pytest.mark.django_db(transaction=True)  # no test-wide transaction: see the request's own
def test_test_connection_calls_the_provider_outside_any_transaction(client, sandbox, monkeypatch):
    """ATOMIC_REQUESTS is on; the "test connection" view opts out, so the provider call
    runs in autocommit."""
    connection = _owner_with_enigmapay(client, sandbox)
    client_class = PROVIDERS["enigmapay"].client_class()
    real_check = client_class.check
    seen = []

    def check(self):
        seen.append(db.connection.in_atomic_block)
        return real_check(self)

    monkeypatch.setattr(client_class, "check", check)
    page = client.post(reverse("providers:connection-test", args=[connection.pk]), follow=True).content.decode()
    assert seen == [False]
    assert 'data-testid="status">Healthy<' in page
    assert ProviderConnection.objects.get(pk=connection.pk).status == "healthy"


def _other_sessions() -> list[tuple[int, str, str]]:
    with db.connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, query FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


@pytest.mark.skipif(db.connection.vendor != "postgresql", reason="pg_stat_activity is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_no_session_is_idle_in_transaction_while_the_provider_is_slow(client, sandbox):
    """Seen from the database: while a slow provider answers a "test connection", no
    session of this database sits "idle in transaction"."""
    connection = _owner_with_enigmapay(client, sandbox)
    arm_fault(sandbox, "enigmapay", "*", "slow", delay=1.5)
    outcome = {}

    def press_test_connection():
        # Not following the redirect: the detail page it leads to runs in the request
        # transaction (as every page does), and would be sampled here too.
        try:
            outcome["response"] = client.post(reverse("providers:connection-test", args=[connection.pk]))
        finally:
            db.connections.close_all()

    others = {pid for pid, _, _ in _other_sessions()}  # earlier tests' idle connections are not this request's
    worker = threading.Thread(target=press_test_connection)
    worker.start()
    wait_for(lambda: requests_to(sandbox, "enigmapay", "/settings"), timeout=10)
    samples = []
    while worker.is_alive():  # the sandbox is sleeping on the answer
        samples.extend((pid, state, query) for pid, state, query in _other_sessions() if pid not in others)
        time.sleep(0.05)
    worker.join()
    assert len(samples) >= 10  # the request's session was really seen during the wait
    assert [s for s in samples if s[1] == "idle in transaction"] == []
    assert outcome["response"].status_code == 302
    page = client.get(outcome["response"].url).content.decode()
    assert 'data-testid="status">Healthy<' in page


def test_a_stored_live_connection_to_a_refused_address_is_not_called(sandbox):
    """Saved before the address rules (or its host now resolves inside): the check
    refuses to call it and says why."""
    connection = ConnectionFactory(mode="live", base_url=sandbox.base_url("enigmapay"))
    result = connection_test(connection=connection)
    assert not result.ok
    assert result.message == "A live connection must use https://."
    assert requests_to(sandbox, "enigmapay", "/settings") == 0
    connection.refresh_from_db()
    assert connection.status == ProviderConnection.Status.FAILING
    assert connection.last_error == "A live connection must use https://."
