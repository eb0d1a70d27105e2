"""The exact-JSON codec: Decimals as exact numbers, every string left a string, no NaN
or infinity either way, and otherwise the same text as json.dumps."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.base.exactjson import dumps, loads


def test_decimals_are_written_as_the_exact_numbers_they_hold():
    body = {"amount": Decimal("500.00"), "fee": Decimal("-0.10"), "big": Decimal("1E+3"), "tiny": Decimal("1E-7")}
    assert dumps(body) == '{"amount": 500.00, "fee": -0.10, "big": 1000, "tiny": 0.0000001}'
    assert loads(dumps(body)) == body
    assert str(loads(dumps(body))["amount"]) == "500.00"


@pytest.mark.parametrize(
    "text",
    ["@@paydesk-decimal:1", "@@paydesk-decimal:-12.50", '"@@paydesk-decimal:9"', "\\u0040@paydesk-decimal:1"],
)
def test_a_string_that_looks_like_a_marker_stays_a_string(text):
    body = {"description": text, "amount": Decimal("1.00"), "items": [text]}
    written = dumps(body)
    assert loads(written) == body
    assert loads(written)["description"] == text


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"),
                                   float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinities_are_refused_when_writing(value):
    with pytest.raises(ValueError):
        dumps({"amount": value})
    with pytest.raises(ValueError):
        dumps([value])


@pytest.mark.parametrize("text", ['{"amount": NaN}', '{"amount": Infinity}', "[-Infinity]"])
def test_nan_and_infinities_are_refused_when_reading(text):
    with pytest.raises(ValueError, match="is not a JSON number"):
        loads(text)
    with pytest.raises(ValueError, match="is not a JSON number"):
        loads(json.loads(text))  # an already parsed body too


def test_what_json_cannot_write_is_refused():
    with pytest.raises(TypeError, match="set is not JSON serialisable"):
        dumps({"a": {1, 2}})
    with pytest.raises(TypeError, match="keys must be"):
        dumps({("a", "b"): 1})
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        dumps(loop)


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
plain_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.integers(), inner, max_size=4),
    max_leaves=20,
)


@given(value=plain_json)
def test_without_decimals_the_text_is_what_json_dumps_writes(value):
    assert dumps(value) == json.dumps(value)


exact = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e12"), max_value=Decimal("1e12"))
with_decimals = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | exact,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(value=with_decimals)
def test_round_trip_keeps_every_value_and_type(value):
    back = loads(dumps(value))
    assert back == value
    assert _shape(back) == _shape(value)


def _shape(value):
    """The value with each Decimal as its exact digits (an integral one reads back as
    an int) and each string tagged, so that a string can never pass for a number."""
    if isinstance(value, Decimal):
        return ("number", str(value) if value.as_tuple().exponent < 0 else str(int(value)))
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, int) and not isinstance(value, bool):
        return ("number", str(value))
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value
