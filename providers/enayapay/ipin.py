"""The IPIN block of the EBS card switch.

The IPIN never leaves Paydesk in clear: it is encrypted as ``UUID + IPIN`` with the
switch's RSA public key (PKCS#1 v1.5) and base64-encoded. The UUID is the request's
own, so a block captured from one request is worthless in another.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key


def load_public_key(der_b64: str) -> rsa.RSAPublicKey:
    """The switch's key from its base64 DER form; ValueError if it is not an RSA key."""
    try:
        key = load_der_public_key(base64.b64decode(der_b64, validate=True))
    except (binascii.Error, TypeError) as e:
        raise ValueError("public key is not base64 DER") from e
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("public key is not an RSA key")
    return key


def encrypt_ipin(public_key: rsa.RSAPublicKey, *, uuid: str, ipin: str) -> str:
    block = public_key.encrypt(f"{uuid}{ipin}".encode(), padding.PKCS1v15())
    return base64.b64encode(block).decode("ascii")
