"""Credentials are encrypted at rest with MultiFernet and survive key rotation."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection as db

from providers import crypto
from providers.models import ProviderConnection
from tests.factories import ConnectionFactory, MerchantFactory

pytestmark = pytest.mark.django_db

SECRET = "sk_factory_secret_value_9876"


def _stored(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM providers_providerconnection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_credentials_round_trip_and_are_not_stored_in_clear():
    connection = ConnectionFactory()
    stored = _stored(connection.pk)
    assert SECRET not in stored
    assert "secret_key" not in stored  # even the names are inside the ciphertext
    fresh = ProviderConnection.objects.get(pk=connection.pk)
    assert fresh.credentials == {"api_key": "ak_factory_key_0001", "secret_key": SECRET}


def test_each_save_uses_a_fresh_ciphertext():
    a = ConnectionFactory()
    b = ConnectionFactory(merchant=MerchantFactory())
    assert a.credentials == b.credentials
    assert _stored(a.pk) != _stored(b.pk)


def test_rotation_re_encrypts_under_the_new_key_and_old_key_can_go(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    connections = [ConnectionFactory(merchant=MerchantFactory()) for _ in range(3)]
    before = {c.pk: _stored(c.pk) for c in connections}

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is removed
    for c in connections:
        after = _stored(c.pk)
        assert after != before[c.pk]
        assert SECRET not in after
        assert ProviderConnection.objects.get(pk=c.pk).credentials["secret_key"] == SECRET
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(after.encode())  # really not under the old key


def test_removing_a_key_before_rotation_is_reported_not_crashed(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    connection = ConnectionFactory()
    settings.FIELD_ENCRYPTION_KEYS = [new]
    with pytest.raises(crypto.DecryptionError):
        ProviderConnection.objects.get(pk=connection.pk).credentials  # noqa: B018
    masked = ProviderConnection.objects.get(pk=connection.pk).masked_credentials()
    assert "re-enter" in next(iter(masked.values()))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Keep the old key"):
        call_command("rotate_encryption_keys")


def test_masked_credentials_show_at_most_last_four():
    connection = ConnectionFactory()
    masked = connection.masked_credentials()
    assert masked == {"api_key": "••••0001", "secret_key": "••••9876"}


def test_callback_tokens_are_unguessable_and_unique():
    tokens = {ConnectionFactory(merchant=MerchantFactory()).callback_token for _ in range(5)}
    assert len(tokens) == 5
    assert all(len(t) >= 40 for t in tokens)


def test_rotation_re_encrypts_stored_callback_bodies_too(settings):
    from providers.callbacks import webhook_event_receive
    from providers.models import WebhookEvent

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    connection = ConnectionFactory()
    body = b'{"transaction_id": 5001, "status": "Completed", "note": "\x00"}'
    webhook_event_receive(connection=connection, headers={}, body=body, remote_addr="127.0.0.1")

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "1 callback body" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is removed: the evidence stays readable
    assert WebhookEvent.objects.get().raw_body() == body
