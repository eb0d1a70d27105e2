"""The base URL is checked when a connection is saved and again on every new socket
(DNS rebinding): a host that resolved to a public address at save time and to loopback
now is refused between connect and the first byte, so nothing is sent to it."""

from urllib.parse import urlsplit

import pytest
import requests

from providers import addresses
from providers.base import errors
from providers.base.client import build_session
from providers.enigmapay.testdata import DEMO_CREDENTIALS
from providers.models import ProviderConnection
from providers.services import client_for, connection_upsert
from tests.factories import MerchantFactory
from tests.helpers import requests_to
from tests.providers.dns_support import install_fake_dns

pytestmark = pytest.mark.django_db


def test_a_session_with_a_peer_check_sends_nothing_to_a_refused_address(sandbox):
    url = sandbox.base_url("enigmapay") + "/api/dealer/settings"
    refusing = build_session(peer_check=addresses.peer_check(live=True))  # loopback: not for live

    with pytest.raises(requests.ConnectionError) as caught:
        refusing.get(url, timeout=5)

    assert "loopback" in str(caught.value)
    assert requests_to(sandbox, "enigmapay", "/api/dealer/settings") == 0
    build_session(peer_check=addresses.peer_check(live=False)).get(url, timeout=5)  # test mode may
    assert requests_to(sandbox, "enigmapay", "/api/dealer/settings") == 1


def test_a_live_host_that_now_resolves_to_loopback_is_refused_at_connect_time(sandbox, monkeypatch):
    dns = install_fake_dns(monkeypatch)
    port = urlsplit(sandbox.url).port
    dns["pay.example.com"] = ["93.184.216.34"]  # public when the connection is saved
    connection, _ = connection_upsert(
        merchant=MerchantFactory(), provider="enigmapay", mode=ProviderConnection.Mode.LIVE,
        base_url=f"https://pay.example.com:{port}/enigmapay", credentials=dict(DEMO_CREDENTIALS),
    )
    dns["pay.example.com"] = ["127.0.0.1"]  # ...and rebound to this machine afterwards

    with pytest.raises(errors.ProviderUnavailable) as caught:
        client_for(connection).check()

    chain, error = [], caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any("Refused to talk to 127.0.0.1" in str(e) for e in chain), chain
    assert len(sandbox.sandbox("enigmapay").received) == 0
