"""`manage.py connect_provider` creates or updates a connection and explains bad input."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from providers.models import ProviderConnection
from tests.factories import MerchantFactory
from tests.providers.dns_support import install_fake_dns

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:8100/enigmapay/api/dealer"
LIVE_URL = "https://api.provider.example/v1"  # resolves to a public address through fake_dns


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


@pytest.fixture
def fake_dns(monkeypatch):
    return install_fake_dns(monkeypatch)


@pytest.fixture
def public_host(fake_dns):
    fake_dns["api.provider.example"] = ["93.184.215.14"]


def test_same_provider_in_live_mode_is_a_second_connection(merchant, public_host):
    connect("acme", "enayapay", "--base-url", URL, "--credential", "api_key=k-test-0001")
    connect("acme", "enayapay", "--base-url", LIVE_URL, "--mode", "live", "--credential", "api_key=k-live-0002")
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


def test_eoneopay_live_key_on_a_test_connection_is_refused(merchant, public_host):
    with pytest.raises(CommandError, match="live-mode credentials, but the connection is in test mode"):
        connect("acme", "eoneopay", "--base-url", URL, "--credential", "secret_key=sk_live_not_for_tests_0001")
    connect("acme", "eoneopay", "--base-url", LIVE_URL, "--mode", "live", "--credential",
            "secret_key=sk_live_not_for_tests_0001")
    assert ProviderConnection.objects.get(provider="eoneopay").mode == "live"


@pytest.mark.parametrize(
    ("mode", "base_url", "message"),
    [
        ("live", "http://api.provider.example/v1", "A live connection must use https://."),
        ("live", "https://127.0.0.1:8100/enayapay", "points at 127.0.0.1, a loopback address"),
        ("live", "https://localhost:8100/enayapay", "points at localhost (127.0.0.1), a loopback address"),
        ("live", "https://[::1]/enayapay", "points at ::1, a loopback address"),
        ("live", "https://10.1.2.3/enayapay", "points at 10.1.2.3, a private or reserved address"),
        ("live", "https://192.168.0.10/enayapay", "points at 192.168.0.10, a private or reserved address"),
        ("live", "https://internal.provider.example/v1", "(172.16.5.5), a private or reserved address"),
        ("live", "https://169.254.169.254/latest", "points at 169.254.169.254, a cloud metadata address"),
        ("test", "http://169.254.169.254/latest", "points at 169.254.169.254, a cloud metadata address"),
        ("test", "http://169.254.10.1/x", "points at 169.254.10.1, a link-local address"),
        ("test", "http://[fe80::1]/x", "points at fe80::1, a link-local address"),
        ("live", "https://nowhere.provider.example/v1", "The host nowhere.provider.example could not be resolved"),
    ],
)
def test_unsafe_base_urls_are_refused_with_the_reason(merchant, fake_dns, mode, base_url, message):
    fake_dns["internal.provider.example"] = ["93.184.215.14", "172.16.5.5"]  # one bad answer is enough
    fake_dns["nowhere.provider.example"] = []
    with pytest.raises(CommandError) as excinfo:
        connect("acme", "enayapay", "--base-url", base_url, "--mode", mode, "--credential", "api_key=k-0001")
    assert message in str(excinfo.value)
    assert ProviderConnection.objects.count() == 0


@pytest.mark.parametrize(
    ("mode", "host", "message"),
    [
        ("live", "::127.0.0.1", "points at ::127.0.0.1 (127.0.0.1), a loopback address"),  # IPv4-compatible
        ("live", "::ffff:10.0.0.1", "(10.0.0.1), a private or reserved address"),  # IPv4-mapped
        ("live", "64:ff9b::a9fe:a9fe", "(169.254.169.254), a cloud metadata address"),  # NAT64
        ("test", "64:ff9b::a9fe:a9fe", "(169.254.169.254), a cloud metadata address"),
        ("live", "64:ff9b::7f00:1", "(127.0.0.1), a loopback address"),
        ("live", "2002:7f00:1::", "(127.0.0.1), a loopback address"),  # 6to4
        ("test", "2002:a9fe:a9fe::1", "(169.254.169.254), a cloud metadata address"),
        ("live", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "(192.0.2.45), a private or reserved address"),  # Teredo
    ],
)
def test_ipv6_forms_carrying_an_ipv4_address_are_judged_by_it(merchant, mode, host, message):
    scheme = "https" if mode == "live" else "http"
    with pytest.raises(CommandError) as excinfo:
        connect("acme", "enayapay", "--base-url", f"{scheme}://[{host}]/x", "--mode", mode,
                "--credential", "api_key=k-0001")
    assert message in str(excinfo.value)
    assert ProviderConnection.objects.count() == 0


@pytest.mark.parametrize("host", ["64:ff9b::808:808", "2606:4700::1111", "93.184.215.14"])
def test_public_addresses_stay_allowed_for_live_connections(host):
    from providers.addresses import check_base_url

    check_base_url(f"https://[{host}]/v1" if ":" in host else f"https://{host}/v1", live=True)


def test_test_mode_may_point_at_the_local_sandboxes(merchant):
    connect("acme", "enayapay", "--base-url", "http://localhost:8100/enayapay/api/v2.1", "--credential", "api_key=k-1")
    connect("acme", "enigmapay", "--base-url", URL, "--credential", "api_key=k-2", "--credential", "secret_key=s-2")
    assert ProviderConnection.objects.count() == 2


def test_a_deployment_listing_test_hosts_allows_test_connections_only_to_them(merchant, settings):
    settings.PROVIDER_TEST_HOSTS = []  # production's default
    with pytest.raises(CommandError) as excinfo:
        connect("acme", "enayapay", "--base-url", "http://127.0.0.1:8100/enayapay", "--credential", "api_key=k-1")
    assert ("This installation allows test connections only to the sandbox hosts its operators listed, "
            "and 127.0.0.1 is not one of them.") in str(excinfo.value)
    assert ProviderConnection.objects.count() == 0

    settings.PROVIDER_TEST_HOSTS = ["sandbox.internal", " 127.0.0.1 "]
    connect("acme", "enayapay", "--base-url", "http://127.0.0.1:8100/enayapay", "--credential", "api_key=k-1")
    with pytest.raises(CommandError, match=r"10\.0\.0\.7 is not one of them"):
        connect("acme", "enigmapay", "--base-url", "http://10.0.0.7/x", "--credential", "api_key=k-2",
                "--credential", "secret_key=s-2")
    assert list(ProviderConnection.objects.values_list("provider", "base_url")) == [
        ("enayapay", "http://127.0.0.1:8100/enayapay")]


def test_a_listed_test_host_is_still_refused_at_a_metadata_address(merchant, settings):
    settings.PROVIDER_TEST_HOSTS = ["169.254.169.254"]
    with pytest.raises(CommandError, match="a cloud metadata address"):
        connect("acme", "enayapay", "--base-url", "http://169.254.169.254/x", "--credential", "api_key=k-1")


def test_test_hosts_do_not_narrow_live_connections(merchant, settings, public_host):
    settings.PROVIDER_TEST_HOSTS = []
    connect("acme", "enayapay", "--base-url", LIVE_URL, "--mode", "live", "--credential", "api_key=k-0001")
    assert ProviderConnection.objects.get().mode == "live"


def test_a_live_connection_is_refused_when_its_host_later_points_inside(merchant, fake_dns):
    fake_dns["api.provider.example"] = ["93.184.215.14"]
    connect("acme", "enayapay", "--base-url", LIVE_URL, "--mode", "live", "--credential", "api_key=k-0001")
    fake_dns["api.provider.example"] = ["::ffff:127.0.0.1"]  # IPv4-mapped loopback
    with pytest.raises(CommandError, match=r"api.provider.example \(127.0.0.1\), a loopback address"):
        connect("acme", "enayapay", "--base-url", LIVE_URL, "--mode", "live", "--credential", "api_key=k-0002")
    assert ProviderConnection.objects.get().credentials == {"api_key": "k-0001"}


def test_an_overlong_credential_is_refused_without_echoing_it(merchant):
    value = "k" * 600
    with pytest.raises(CommandError) as excinfo:
        connect("acme", "enayapay", "--base-url", URL, "--credential", f"api_key={value}")
    assert "Credential api_key is longer than 512 characters" in str(excinfo.value)
    assert value not in str(excinfo.value)
    assert ProviderConnection.objects.count() == 0


def test_an_overlong_base_url_is_refused(merchant):
    with pytest.raises(CommandError, match="longer than 300 characters"):
        connect("acme", "enayapay", "--base-url", URL + "/" + "x" * 300, "--credential", "api_key=k-0001")
