"""JSON with exact decimals, both ways: money never passes through a float.

``dumps`` writes a Decimal as a plain JSON number (``Decimal("500.00")`` → ``500.00``);
``loads`` reads numbers with a fraction as Decimal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_DECIMAL_MARK = "@@paydesk-decimal:"
_DECIMAL_RE = re.compile(rf'"{_DECIMAL_MARK}(-?[0-9]+(?:\.[0-9]+)?)"')


def dumps(value: object) -> str:
    """JSON text with every Decimal written as the exact number it holds."""

    def mark(obj: object) -> str:
        if isinstance(obj, Decimal):
            return f"{_DECIMAL_MARK}{obj:f}"
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")

    return _DECIMAL_RE.sub(r"\1", json.dumps(value, default=mark))


def loads(body: bytes | str | Mapping | list) -> Any:
    """A body (bytes or text as received, or already parsed) with every number that has
    a fraction as Decimal. Raises ValueError on text that is not JSON."""
    if isinstance(body, bytes | str):
        return json.loads(body, parse_float=Decimal)
    return _floats_to_decimal(body)


def _floats_to_decimal(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _floats_to_decimal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_floats_to_decimal(v) for v in value]
    return value
