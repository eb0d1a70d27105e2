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
