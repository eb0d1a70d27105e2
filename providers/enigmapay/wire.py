"""Wire details shared by the client and the sandbox, so both speak the same dialect.

- Amounts are JSON numbers written straight from the Decimal (``500.00``), never
  through a float: the stdlib encoder cannot do that, hence ``dumps``.
- Timestamps are ``Y-m-d H:i:s`` with no zone; the platform runs on Turkish time,
  which has been a fixed UTC+3 since 2016.
- IBANs are checked with schwifty (checksum, length, country) on both sides.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from schwifty import IBAN
from schwifty.exceptions import InvalidChecksumDigits, InvalidLength, SchwiftyException

from providers.base.exactjson import dumps  # noqa: F401 - the wire's JSON, re-exported

ISTANBUL = timezone(timedelta(hours=3), "TRT")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"


def request_hash(api_key: str, secret_key: str) -> str:
    """The X-Hash header: hex SHA-256 of the API key followed by the secret key."""
    return hashlib.sha256(f"{api_key}{secret_key}".encode()).hexdigest()


def parse_timestamp(value: object) -> datetime | None:
    """``"2025-11-26 14:35:00"`` (Turkish time) → an aware datetime; None stays None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"timestamp must be a string, got {type(value).__name__}")
    return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=ISTANBUL)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(ISTANBUL).strftime(TIMESTAMP_FORMAT)


def iban_problem(value: object) -> str | None:
    """Why ``value`` is not a Turkish IBAN EnigmaPay can pay out to, or None if it is."""
    if not isinstance(value, str) or not value.strip():
        return "it is empty"
    try:
        iban = IBAN(value)
    except InvalidChecksumDigits:
        return "its check digits do not match"
    except InvalidLength:
        return "it has the wrong length"
    except SchwiftyException:
        return "it is not in IBAN format"
    if iban.country_code != "TR":
        return "EnigmaPay pays out only to Turkish (TR) IBANs"
    return None


def compact_iban(value: str) -> str:
    """The IBAN as sent on the wire: upper case, no spaces."""
    return IBAN(value).compact
