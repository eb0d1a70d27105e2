"""`manage.py connect_provider` creates or updates a connection and explains bad input."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from providers.models import ProviderConnection
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:8100/enigmapay/api/dealer"


def connect(*args) -> str:
    out = io.StringIO()
    call_command("connect_provider", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def merchant():
    return MerchantFactory(slug="acme")


def test_creates_a_connection_with_encrypted_credentials(merchant):
    out = connect("acme", "enigmapay", "--base-url", URL, "--credential", "api_key=ak_live_demo_1234",
                  "--credential", "secret_key=very-secret-value-5678")
    connection = ProviderConnection.objects.get(merchant=merchant, provider="enigmapay", mode="test")
    assert connection.base_url == URL
    assert connection.credentials == {"api_key": "ak_live_demo_1234", "secret_key": "very-secret-value-5678"}
    assert out.startswith("Created")
    assert "very-secret-value-5678" not in out
    assert "••••5678" in out


def test_running_again_updates_and_keeps_other_credentials(merchant):
    connect("acme", "enigmapay", "--base-url", URL, "--credential", "api_key=first-key-1111",
            "--credential", "secret_key=first-secret-2222")
    out = connect("acme", "enigmapay", "--base-url", URL + "/", "--credential", "secret_key=rotated-secret-3333")
    assert out.startswith("Updated")
    assert ProviderConnection.objects.count() == 1
    connection = ProviderConnection.objects.get()
    assert connection.credentials == {"api_key": "first-key-1111", "secret_key": "rotated-secret-3333"}
    assert connection.base_url == URL  # trailing slash normalised


def test_same_provider_in_live_mode_is_a_second_connection(merchant):
    connect("acme", "enayapay", "--base-url", URL, "--credential", "api_key=k-test-0001")
    connect("acme", "enayapay", "--base-url", URL, "--mode", "live", "--credential", "api_key=k-live-0002")
    assert sorted(ProviderConnection.objects.values_list("mode", flat=True)) == ["live", "test"]


def test_vospay_needs_no_credentials(merchant):
    connect("acme", "vospay", "--base-url", "http://127.0.0.1:8100/vospay/api/v2")
    assert ProviderConnection.objects.get(provider="vospay").credentials == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "enigmapay", "--base-url", URL], "No merchant with slug 'nope'"),
        (["acme", "paypal", "--base-url", URL], "Unknown provider 'paypal'"),
        (["acme", "enayapay", "--base-url", "ftp://example.com"], "is not an http(s) URL"),
        (["acme", "enayapay", "--base-url", "not a url"], "is not an http(s) URL"),
        (["acme", "enayapay", "--base-url", URL, "--mode", "prod"], "Unknown mode 'prod'"),
        (["acme", "enigmapay", "--base-url", URL, "--credential", "api_key=abc12345"], "needs the credential secret_key"),
        (["acme", "enayapay", "--base-url", URL], "needs the credential api_key"),
        (["acme", "enayapay", "--base-url", URL, "--credential", "apikey=abc12345"], "has no credential named apikey"),
        (["acme", "enayapay", "--base-url", URL, "--credential", "api_key="], "Credential api_key is empty"),
        (["acme", "enayapay", "--base-url", URL, "--credential", "api_key"], "--credential takes NAME=VALUE"),
    ],
)
def test_bad_input_is_explained_and_saves_nothing(merchant, args, message):
    with pytest.raises(CommandError) as excinfo:
        connect(*args)
    assert message in str(excinfo.value)
    assert ProviderConnection.objects.count() == 0


def test_error_never_echoes_a_secret_value(merchant):
    with pytest.raises(CommandError) as excinfo:
        connect("acme", "enayapay", "--base-url", URL, "--credential", "wrong_name=super-secret-value-42")
    assert "super-secret-value-42" not in str(excinfo.value)


def test_a_base_url_with_a_password_is_refused_without_echoing_it(merchant):
    with pytest.raises(CommandError) as excinfo:
        connect("acme", "enayapay", "--base-url", "https://user:hunter2-pass@api.example.com",
                "--credential", "api_key=k-0001")
    assert "must not carry a user name or password" in str(excinfo.value)
    assert "hunter2-pass" not in str(excinfo.value)
    assert ProviderConnection.objects.count() == 0


def test_a_credential_without_equals_is_not_echoed(merchant):
    with pytest.raises(CommandError) as excinfo:
        connect("acme", "enayapay", "--base-url", URL, "--credential", "sk_live_pasted_alone_1234")
    assert "sk_live_pasted_alone_1234" not in str(excinfo.value)


def test_concurrent_first_creates_end_in_one_connection(merchant):
    from unittest import mock

    from providers import services

    # Another request created the connection after our read saw none: our insert hits
    # the unique constraint, and the service retries as an update of that row.
    other = ProviderConnection.objects.create(
        merchant=merchant, provider="enayapay", mode="test", base_url=URL,
        credentials={"api_key": "from-the-other-request"},
    )
    real = services._locked_connection
    stale_reads = []

    def stale_then_real(**kwargs):
        if not stale_reads:
            stale_reads.append(1)
            return None
        return real(**kwargs)

    with mock.patch.object(services, "_locked_connection", side_effect=stale_then_real):
        connection, created = services.connection_upsert(
            merchant=merchant, provider="enayapay", mode="test", base_url=URL, credentials={"api_key": "ours-0001"}
        )
    assert stale_reads == [1]
    assert created is False
    assert connection.pk == other.pk
    assert ProviderConnection.objects.get().credentials == {"api_key": "ours-0001"}


def test_eoneopay_live_key_on_a_test_connection_is_refused(merchant):
    with pytest.raises(CommandError, match="live-mode credentials, but the connection is in test mode"):
        connect("acme", "eoneopay", "--base-url", URL, "--credential", "secret_key=sk_live_not_for_tests_0001")
    connect("acme", "eoneopay", "--base-url", URL, "--mode", "live", "--credential",
            "secret_key=sk_live_not_for_tests_0001")
    assert ProviderConnection.objects.get(provider="eoneopay").mode == "live"
