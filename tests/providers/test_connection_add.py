"""Adding a connection on the settings page never overwrites one that is there, not
even when two adds race; and the page explains each refusal of a base URL or secret."""

import threading

import pytest
from django import db
from django.urls import reverse

from accounts.models import Role
from providers import services
from providers.models import ProviderConnection
from providers.services import ConnectionExists
from tests.factories import MembershipFactory, MerchantFactory
from tests.providers.dns_support import install_fake_dns

pytestmark = pytest.mark.django_db

ENKASH_URL = "http://127.0.0.1:8100/enkash"
ALREADY = "There is already a connection to EnKash in test mode; what you entered was not saved."


def _form(access_key: str, *, base_url: str = ENKASH_URL, mode: str = "test") -> dict:
    return {"mode": mode, "base_url": base_url, "credential_access_key": access_key,
            "credential_secret_key": f"secret-for-{access_key}"}


def _owner(client, merchant):
    client.force_login(MembershipFactory(merchant=merchant, role=Role.OWNER).user)
    return client


def test_an_add_that_loses_the_race_is_refused_not_turned_into_an_update(monkeypatch):
    """The other request inserted between our existence check and our insert: the
    unique constraint stops ours, and the service says so instead of updating."""
    merchant = MerchantFactory()
    theirs = services.connection_create(
        merchant=merchant, provider="enkash", mode="test", base_url=ENKASH_URL,
        credentials={"access_key": "theirs-0001", "secret_key": "their-secret-0001"},
    )
    real = services._existing_connection
    calls = []

    def stale_first(**kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "_existing_connection", stale_first)
    with pytest.raises(ConnectionExists) as excinfo:
        services.connection_create(
            merchant=merchant, provider="enkash", mode="test", base_url=ENKASH_URL,
            credentials={"access_key": "ours-0002", "secret_key": "our-secret-0002"},
        )
    assert excinfo.value.connection.pk == theirs.pk
    assert str(excinfo.value).startswith(ALREADY)
    assert ProviderConnection.objects.get().credentials == {"access_key": "theirs-0001", "secret_key": "their-secret-0001"}


@pytest.mark.skipif(db.connection.vendor != "postgresql", reason="needs a database that two threads share")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_adds_end_in_one_connection_and_a_clear_message(client, monkeypatch):
    from django.test import Client

    merchant = MerchantFactory()
    clients = {"first": _owner(client, merchant), "second": _owner(Client(), merchant)}
    # Both requests pass the "is it there yet?" check before either inserts: the race.
    both_checked = threading.Barrier(2, timeout=10)
    checked = threading.local()
    real = services._existing_connection

    def existing_then_wait(**kwargs):
        found = real(**kwargs)
        if not getattr(checked, "once", False):
            checked.once = True
            both_checked.wait()
        return found

    monkeypatch.setattr(services, "_existing_connection", existing_then_wait)
    pages = {}

    def add(name):
        try:
            url = reverse("providers:connection-create", args=["enkash"])
            pages[name] = clients[name].post(url, _form(f"{name}-key-0001"), follow=True).content.decode()
        finally:
            db.connections.close_all()

    threads = [threading.Thread(target=add, args=[name]) for name in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    saved = [name for name, page in pages.items() if "EnKash connection saved" in page]
    refused = [name for name, page in pages.items() if ALREADY in page]
    assert len(saved) == 1 and len(refused) == 1, pages.keys()
    connection = ProviderConnection.objects.get(merchant=merchant)
    assert connection.credentials["access_key"] == f"{saved[0]}-key-0001"  # the loser overwrote nothing


def test_adding_again_shows_the_message_on_the_existing_connection(client):
    merchant = MerchantFactory()
    _owner(client, merchant)
    url = reverse("providers:connection-create", args=["enkash"])
    client.post(url, _form("first-0001"))
    response = client.post(url, _form("second-0002"), follow=True)
    connection = ProviderConnection.objects.get(merchant=merchant)
    assert response.redirect_chain[-1][0] == reverse("providers:connection-detail", args=[connection.pk])
    assert ALREADY in response.content.decode()
    assert connection.credentials["access_key"] == "first-0001"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (_form("k-0001", mode="live", base_url="http://api.enkash.example/v0"), "A live connection must use https://."),
        (_form("k-0001", mode="live", base_url="https://127.0.0.1:8100/enkash"), "a loopback address"),
        (_form("k-0001", mode="live", base_url="https://api.enkash.example/v0"),
         "The base URL points at api.enkash.example (10.0.0.8), a private or reserved address"),
        (_form("k-0001", base_url="http://169.254.169.254/latest"), "a cloud metadata address"),
    ],
)
def test_the_page_explains_a_refused_base_url_and_saves_nothing(client, monkeypatch, form, message):
    install_fake_dns(monkeypatch)["api.enkash.example"] = ["10.0.0.8"]
    _owner(client, MerchantFactory())
    page = client.post(reverse("providers:connection-create", args=["enkash"]), form).content.decode()
    assert message in page
    assert "secret-for-k-0001" not in page
    assert not ProviderConnection.objects.exists()


def test_a_live_connection_to_a_public_https_host_is_saved(client, monkeypatch):
    install_fake_dns(monkeypatch)["api.enkash.example"] = ["93.184.215.14"]
    merchant = MerchantFactory()
    _owner(client, merchant)
    form = _form("k-live-0001", mode="live", base_url="https://api.enkash.example/v0")
    page = client.post(reverse("providers:connection-create", args=["enkash"]), form, follow=True).content.decode()
    assert "EnKash connection saved" in page
    assert ProviderConnection.objects.get(merchant=merchant).base_url == "https://api.enkash.example/v0"


def test_the_form_limits_credential_length_and_does_not_echo_it(client):
    merchant = MerchantFactory()
    _owner(client, merchant)
    form = {**_form("k-0001"), "credential_secret_key": "s" * 513}
    page = client.post(reverse("providers:connection-create", args=["enkash"]), form).content.decode()
    assert "Ensure this value has at most 512 characters (it has 513)." in page
    assert "s" * 513 not in page
    assert 'maxlength="512"' in page
    assert not ProviderConnection.objects.exists()


def test_the_add_page_says_what_a_live_base_url_needs(client):
    _owner(client, MerchantFactory())
    page = client.get(reverse("providers:connection-create", args=["enkash"])).content.decode()
    assert "A live connection needs an <code>https://</code> base URL on a public host" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["create", "detail"])
def test_saving_resolves_the_host_name_outside_any_transaction(client, monkeypatch, page):
    """A slow resolver must not hold a database transaction (and its connection) open."""
    import socket

    from django.db import connection as db_connection

    answers = install_fake_dns(monkeypatch)
    answers["api.enkash.example"] = ["93.184.215.14"]
    fake = socket.getaddrinfo
    in_transaction = []

    def recording(host, *args, **kwargs):
        if host == "api.enkash.example":
            in_transaction.append(db_connection.in_atomic_block)
        return fake(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    merchant = MerchantFactory()
    _owner(client, merchant)
    form = _form("k-live-0001", mode="live", base_url="https://api.enkash.example/v0")
    if page == "create":
        url = reverse("providers:connection-create", args=["enkash"])
    else:
        existing = services.connection_create(merchant=merchant, provider="enkash", mode="live",
                                              base_url="https://api.enkash.example/v1",
                                              credentials={"access_key": "k-0", "secret_key": "s-0"})
        in_transaction.clear()
        url = reverse("providers:connection-detail", args=[existing.pk])
    response = client.post(url, form, follow=True)
    assert response.status_code == 200
    assert in_transaction == [False]
    assert ProviderConnection.objects.get(merchant=merchant).base_url == "https://api.enkash.example/v0"
