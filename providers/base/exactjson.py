"""JSON with exact decimals, both ways: money never passes through a float.

``dumps`` writes a Decimal as a plain JSON number (``Decimal("500.00")`` → ``500.00``);
``loads`` reads numbers with a fraction as Decimal.

``dumps`` builds the text itself rather than asking ``json.dumps`` to write a
placeholder string for each Decimal and replacing placeholders afterwards: with a
placeholder, a string value that looks like one (a customer's name, a description)
would come out as a number. Scalars are written with the json module's own functions,
so the output is byte for byte what ``json.dumps`` gives for the same data without
Decimals.
Neither direction accepts NaN or an infinity: they are not JSON, and not amounts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from json.encoder import encode_basestring_ascii as _string
from typing import Any

# json.dumps's own default separators: keep the wire format unchanged.
_ITEM, _KEY = ", ", ": "


def dumps(value: object) -> str:
    """JSON text with every Decimal written as the exact number it holds. Raises
    ValueError on NaN, infinities and circular references, TypeError on values JSON
    has no form for."""
    parts: list[str] = []
    _encode(value, parts, set())
    return "".join(parts)


def _encode(value: object, parts: list[str], open_ids: set[int]) -> None:
    if isinstance(value, str):
        parts.append(_string(value))
    elif isinstance(value, Decimal):
        parts.append(_decimal(value))
    elif isinstance(value, int | float | None):  # bool is an int
        parts.append(_scalar(value))
    elif isinstance(value, dict | list | tuple):
        if id(value) in open_ids:
            raise ValueError("Circular reference detected")
        open_ids.add(id(value))
        (_encode_object if isinstance(value, dict) else _encode_array)(value, parts, open_ids)
        open_ids.discard(id(value))
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _encode_object(value: dict, parts: list[str], open_ids: set[int]) -> None:
    parts.append("{")
    for i, (key, item) in enumerate(value.items()):
        if i:
            parts.append(_ITEM)
        parts.append(_string(_key(key)))
        parts.append(_KEY)
        _encode(item, parts, open_ids)
    parts.append("}")


def _encode_array(value: list | tuple, parts: list[str], open_ids: set[int]) -> None:
    parts.append("[")
    for i, item in enumerate(value):
        if i:
            parts.append(_ITEM)
        _encode(item, parts, open_ids)
    parts.append("]")


def _key(key: object) -> str:
    """A key as json.dumps writes it: strings as they are, scalars as their JSON text."""
    if isinstance(key, str):
        return key
    if isinstance(key, int | float | None):
        return _scalar(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _scalar(value: int | float | None) -> str:
    """As json.dumps writes it (int.__repr__ / float.__repr__ even for subclasses such
    as IntEnum), refusing NaN and infinities."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a JSON number")
    return float.__repr__(value)


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return f"{value:f}"


def loads(body: bytes | str | Mapping | list) -> Any:
    """A body (bytes or text as received, or already parsed) with every number that has
    a fraction as Decimal. Raises ValueError on text that is not JSON, including the
    NaN and Infinity that Python's json would otherwise accept."""
    if isinstance(body, bytes | str):
        return json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    return _floats_to_decimal(body)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _floats_to_decimal(value: Any) -> Any:
    if isinstance(value, float):
        decimal = Decimal(str(value))
        if not decimal.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return decimal
    if isinstance(value, Mapping):
        return {k: _floats_to_decimal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_floats_to_decimal(v) for v in value]
    return value
