"""Credentials at rest: JSON encrypted with MultiFernet.

``FIELD_ENCRYPTION_KEYS`` lists Fernet keys; the first encrypts, every one decrypts. To
rotate, put a new key first, run ``manage.py rotate_encryption_keys`` (re-encrypts
every encrypted value under the first key), then drop the old key.
https://cryptography.io/en/latest/fernet/#cryptography.fernet.MultiFernet
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """The stored value was not made with any of the configured keys."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must list at least one Fernet key.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as e:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key.") from e


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_json(value: dict) -> str:
    return fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken as e:
        raise DecryptionError("Stored credentials cannot be decrypted with the configured keys.") from e


def rotate(token: str) -> str:
    """Re-encrypt under the first key (raises DecryptionError if no key opens it)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as e:
        raise DecryptionError("Stored credentials cannot be decrypted with the configured keys.") from e
