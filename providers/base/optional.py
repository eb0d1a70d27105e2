"""Optional fields of an answer, read leniently.

A provider's answer fails only on the fields Paydesk cannot work without (the id to ask
again, the status, the amount where nothing was sent). An optional field in a form
Paydesk does not read (a date in another format, ``"1,000"`` for an amount) must not turn
a refund that went through into an "unknown outcome": it is left empty and one INFO line
names the field and the type of what came, never the value (it may be a name, an IBAN,
a phone number).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger("providers.answers")

T = TypeVar("T")


def optional_field(parse: Callable[[object], T | None], value: object, *, provider: str, field: str) -> T | None:
    """``parse(value)``; None when the value is absent or ``parse`` cannot read it."""
    if value is None or value == "":
        return None
    try:
        return parse(value)
    except (TypeError, ValueError, ArithmeticError, OverflowError, OSError):
        # OSError / OverflowError: datetime.fromtimestamp on an absurd epoch.
        logger.info("%s sent the optional field %s as an unreadable %s; it is left empty",
                    provider, field, type(value).__name__)
        return None
