"""Phone numbers are parsed for the provider's country and stored in E.164."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    pass


def phone_to_e164(raw: str, *, country: str) -> str:
    """``raw`` as dialled in ``country`` (ISO alpha-2) or in international form."""
    try:
        number = phonenumbers.parse((raw or "").strip(), country.upper())
    except phonenumbers.NumberParseException as e:
        raise InvalidPhone(f"{raw!r} is not a phone number.") from e
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{raw!r} is not a valid phone number for {country.upper()}.")
    if phonenumbers.region_code_for_number(number) != country.upper():
        raise InvalidPhone(f"{raw!r} is not a {country.upper()} phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
