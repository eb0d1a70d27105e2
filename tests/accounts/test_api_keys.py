"""Settings → API keys: created with a name and role, shown once, stored hashed,
last use recorded (at most once a minute), revoked for good."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, Role
from tests.factories import MembershipFactory, MerchantFactory

pytestmark = pytest.mark.django_db

KEYS = "/dashboard/settings/api-keys/"


@pytest.fixture
def merchant():
    return MerchantFactory(name="Alpha Bazaar", slug="alpha")


@pytest.fixture
def owner(client, merchant):
    membership = MembershipFactory(merchant=merchant, role=Role.OWNER)
    client.force_login(membership.user)
    return membership


def create_key(client, name="shop backend", role="manager") -> str:
    response = client.post(KEYS, {"name": name, "role": role})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return re.search(r'data-testid="raw-key"[^>]*>(pd_[^<]+)<', response.content.decode()).group(1)


def everything_stored() -> str:
    """Every text value of every row of every table, as one string."""
    values = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            values += [str(v) for v in row.values()]
    return "\n".join(values)


def test_a_key_is_shown_once_and_only_its_hash_is_stored(client, owner, merchant):
    raw_key = create_key(client)
    key = ApiKey.objects.get()
    assert raw_key.startswith(f"pd_{key.prefix}_") and len(raw_key) >= 50
    assert key.secret_sha256 == hashlib.sha256(raw_key.encode()).hexdigest()
    assert (key.merchant, key.name, key.role, key.created_by) == (merchant, "shop backend", Role.MANAGER, owner.user)
    secret_part = raw_key.split("_", 2)[2]
    stored = everything_stored()
    assert raw_key not in stored and secret_part not in stored  # not in keys, sessions, anywhere
    page = client.get(KEYS).content.decode()
    assert raw_key not in page and secret_part not in page
    assert f"pd_{key.prefix}_…" in page and "shop backend" in page and "never" in page


def test_a_key_never_acts_as_owner_and_needs_a_name(client, owner):
    page = client.post(KEYS, {"name": "root", "role": "owner"}).content.decode()
    assert "Select a valid choice" in page
    assert 'data-testid="raw-key"' not in client.post(KEYS, {"name": "  ", "role": "viewer"}).content.decode()
    assert not ApiKey.objects.exists()


def test_last_use_is_recorded_at_most_once_a_minute(client, owner):
    raw_key = create_key(client)
    api = Client(headers={"authorization": f"Bearer {raw_key}"})
    assert api.get("/api/v1/connections/").status_code == 200
    first = ApiKey.objects.get().last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)
    api.get("/api/v1/connections/")
    assert ApiKey.objects.get().last_used_at == first  # no second write within the minute
    ApiKey.objects.update(last_used_at=first - timedelta(minutes=2))
    api.get("/api/v1/connections/")
    assert ApiKey.objects.get().last_used_at > first
    assert "never" not in client.get(KEYS).content.decode().split("<tbody>")[1].split("</tbody>")[0]


def test_a_revoked_key_is_401_in_the_error_shape(client, owner):
    raw_key = create_key(client)
    key = ApiKey.objects.get()
    page = client.post(reverse("accounts:api-key-revoke", args=[key.pk]), follow=True).content.decode()
    assert "is revoked" in page and "Revoked" in page
    key.refresh_from_db()
    assert key.revoked_at is not None
    response = Client(headers={"authorization": f"Bearer {raw_key}"}).get("/api/v1/connections/")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "authentication_failed",
                                         "message": "The API key is not valid or was revoked.", "fields": {}}}


def test_a_forged_secret_with_a_real_prefix_is_401(client, owner):
    raw_key = create_key(client)
    forged = raw_key[:-4] + ("AAAA" if not raw_key.endswith("AAAA") else "BBBB")
    assert Client(headers={"authorization": f"Bearer {forged}"}).get("/api/v1/connections/").status_code == 401
    assert ApiKey.objects.get().last_used_at is None


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER])
def test_non_owners_cannot_see_create_or_revoke_keys(client, merchant, role):
    key = ApiKey.objects.create(merchant=merchant, name="k", prefix="abcd1234", secret_sha256="0" * 64)
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    assert client.get(KEYS).status_code == 403
    assert client.post(KEYS, {"name": "sneaky", "role": "manager"}).status_code == 403
    assert client.post(reverse("accounts:api-key-revoke", args=[key.pk])).status_code == 403
    assert ApiKey.objects.get().revoked_at is None and ApiKey.objects.count() == 1
    assert "API keys</a>" not in client.get(reverse("accounts:dashboard")).content.decode()


def test_another_merchants_key_is_404(client, owner):
    theirs = ApiKey.objects.create(merchant=MerchantFactory(), name="theirs", prefix="ffff0000", secret_sha256="0" * 64)
    assert client.post(reverse("accounts:api-key-revoke", args=[theirs.pk])).status_code == 404
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    assert "theirs" not in client.get(KEYS).content.decode()


def test_key_calls_act_for_the_keys_merchant_with_the_keys_role(client, owner, merchant):
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(merchant=merchant)
    viewer_key = create_key(client, name="reader", role="viewer")
    api = Client(headers={"authorization": f"Bearer {viewer_key}"})
    assert api.get(f"/api/v1/connections/{connection.pk}/").json()["id"] == connection.pk
    assert api.post(f"/api/v1/connections/{connection.pk}/test/", {}, content_type="application/json").status_code == 403


def test_sending_the_create_form_again_makes_no_second_key(client, owner, merchant):
    form = client.get(KEYS).content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)
    first = client.post(KEYS, {"name": "shop backend", "role": "manager", "nonce": nonce})
    assert 'data-testid="raw-key"' in first.content.decode()

    again = client.post(KEYS, {"name": "shop backend", "role": "manager", "nonce": nonce}, follow=True)

    key = ApiKey.objects.get()  # still exactly one
    page = again.content.decode()
    assert "This form was already sent" in page and key.display_prefix in page
    assert 'data-testid="raw-key"' not in page, "the secret is never shown a second time"
    # The page after a create carries a fresh token: the next key is a new key.
    next_nonce = re.search(r'name="nonce" value="([^"]+)"', first.content.decode()).group(1)
    assert next_nonce != nonce
    client.post(KEYS, {"name": "second", "role": "viewer", "nonce": next_nonce})
    assert ApiKey.objects.count() == 2
