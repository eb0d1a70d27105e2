import pytest
from django.core.management import call_command

from accounts.models import Membership, Merchant
from providers.models import ProviderConnection
from providers.registry import PROVIDERS

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_two_merchants_roles_and_five_connections_each_and_is_idempotent():
    call_command("seed_demo", "--quiet", "--force", "--sandbox-url", "http://127.0.0.1:8100")
    ProviderConnection.objects.update(status="healthy")  # as if checked since
    stored = dict(ProviderConnection.objects.values_list("pk", "credentials_encrypted"))
    call_command("seed_demo", "--quiet", "--force", "--sandbox-url", "http://127.0.0.1:8100")
    # The second run changed nothing: same rows, same ciphertexts, last check kept.
    assert dict(ProviderConnection.objects.values_list("pk", "credentials_encrypted")) == stored
    assert set(ProviderConnection.objects.values_list("status", flat=True)) == {"healthy"}
    assert sorted(Merchant.objects.values_list("slug", flat=True)) == ["demo", "other"]
    roles = dict(Membership.objects.filter(merchant__slug="demo").values_list("user__username", "role"))
    assert roles == {"owner": "owner", "manager": "manager", "viewer": "viewer"}
    assert Membership.objects.filter(merchant__slug="other").count() == 1
    for slug in ("demo", "other"):
        connections = ProviderConnection.objects.filter(merchant__slug=slug)
        assert sorted(c.provider for c in connections) == sorted(PROVIDERS)
        enigma = connections.get(provider="enigmapay")
        assert enigma.base_url == "http://127.0.0.1:8100/enigmapay/api/dealer"
        assert set(enigma.credentials) == {"api_key", "secret_key"}
    assert ProviderConnection.objects.count() == 10


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("seed_demo", "--quiet")
    assert not Merchant.objects.exists()


def test_seed_demo_run_again_leaves_what_a_user_changed_and_says_so(monkeypatch):
    from io import StringIO

    from django.contrib.auth import get_user_model

    from providers.services import connection_upsert
    from tests.providers.dns_support import install_fake_dns

    install_fake_dns(monkeypatch)["www.enigmapay.net"] = ["93.184.216.34"]  # no network here

    call_command("seed_demo", "--quiet", "--force", "--sandbox-url", "http://127.0.0.1:8100")
    enigma = ProviderConnection.objects.get(merchant__slug="demo", provider="enigmapay")
    connection_upsert(merchant=enigma.merchant, provider="enigmapay", mode="test",
                      base_url="https://www.enigmapay.net/api/dealer",
                      credentials={"secret_key": "rotated-by-the-owner-0001"})
    Membership.objects.filter(user__username="viewer").update(role="manager")
    owner = get_user_model().objects.get(username="owner")
    owner.set_password("the-owners-own-pass-1")
    owner.save()
    ProviderConnection.objects.filter(merchant__slug="other", provider="enkash").delete()  # one is missing

    out = StringIO()
    call_command("seed_demo", "--force", "--sandbox-url", "http://127.0.0.1:8100", stdout=out)
    report = out.getvalue()

    enigma.refresh_from_db()
    assert enigma.base_url == "https://www.enigmapay.net/api/dealer"
    assert enigma.credentials["secret_key"] == "rotated-by-the-owner-0001"
    assert Membership.objects.get(user__username="viewer").role == "manager"
    owner.refresh_from_db()
    assert owner.check_password("the-owners-own-pass-1")
    assert ProviderConnection.objects.filter(merchant__slug="other", provider="enkash").exists()  # re-created
    assert "Demo data: created 1 connection." in report
    assert "Already there, left alone: 2 merchants, 5 logins, 9 connections." in report
    assert "login owner: the password is no longer the demo password" in report
    assert "login viewer: manager of Demo Bazaar, not viewer" in report
    assert ("connection Demo Bazaar / EnigmaPay (test): base URL https://www.enigmapay.net/api/dealer "
            "(the sandbox is at http://127.0.0.1:8100/enigmapay/api/dealer); "
            "credentials differ from the sandbox's test keys") in report
    assert "rotated-by-the-owner-0001" not in report and "the-owners-own-pass-1" not in report
    assert report.count("connection ") == 1  # the untouched ones are not listed one by one


def test_seed_demo_first_run_says_what_it_created():
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", "--force", "--sandbox-url", "http://127.0.0.1:8100", stdout=out)
    assert out.getvalue().strip() == "Demo data: created 2 merchants, 5 logins, 10 connections."


def test_seed_demo_adds_a_missing_optional_credential_and_keeps_the_rest():
    """An EnayaPay connection made before ipin_public_key existed gets the sandbox's key;
    adding what is missing overwrites nothing (the owner's rotated api_key stays)."""
    from io import StringIO

    from providers.enayapay.sandbox import DEMO_CREDENTIALS
    call_command("seed_demo", "--quiet", "--force", "--sandbox-url", "http://127.0.0.1:8100")
    enaya = ProviderConnection.objects.get(merchant__slug="demo", provider="enayapay")
    enaya.credentials = {"api_key": "rotated-by-the-owner-0002"}  # as saved before the IPIN key existed
    enaya.save()

    out = StringIO()
    call_command("seed_demo", "--force", "--sandbox-url", "http://127.0.0.1:8100", stdout=out)
    report = out.getvalue()

    enaya.refresh_from_db()
    assert enaya.credentials == {"api_key": "rotated-by-the-owner-0002",
                                 "ipin_public_key": DEMO_CREDENTIALS["ipin_public_key"]}
    assert ("Added what was missing (nothing there was changed):\n"
            "  connection Demo Bazaar / EnayaPay (test): added the sandbox's ipin_public_key") in report
    assert "connection Demo Bazaar / EnayaPay (test): credentials differ from the sandbox's test keys" in report
    assert "rotated-by-the-owner-0002" not in report and DEMO_CREDENTIALS["ipin_public_key"] not in report
    assert "Demo data: created nothing." in report

    again = StringIO()
    call_command("seed_demo", "--force", "--sandbox-url", "http://127.0.0.1:8100", stdout=again)
    assert "Added what was missing" not in again.getvalue()  # nothing left to add
