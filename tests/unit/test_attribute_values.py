"""The layer's DynamoDB attribute values are boto3's (decision 025): every value either one takes gives the
same attribute value, every attribute value the same Python value, and what boto3 refuses is refused."""

from __future__ import annotations

from decimal import Decimal, Inexact, Overflow, Rounded
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from invoice_hub.dal.attribute_values import from_attribute, to_attribute

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    10**37,
    Decimal("120.50"),
    Decimal("-0.001"),
    Decimal("1E+5"),
    Decimal("1.0000000000000000000000000000000000000"),
    "",
    "Zoë Ångström",
    b"\x00\xff",
    bytearray(b"pdf"),
    Binary(b"boto3's own"),
    {"a", "b"},
    frozenset({"x"}),
    {1, Decimal("2.5")},
    {b"a", b"b"},
    set(),
    {"nested": {"list": [1, "two", None, {"three": True}], "tuple": (Decimal("4"),)}},
    [],
    {},
    ["mixed", 1, b"x", {"k": "v"}],
]


@pytest.mark.parametrize("value", VALUES, ids=[f"{i}-{type(v).__name__}" for i, v in enumerate(VALUES)])
def test_a_value_is_written_as_boto3_writes_it(value: Any) -> None:
    expected = TypeSerializer().serialize(value)

    assert to_attribute(value) == expected
    assert type(to_attribute(value)) is type(expected)


@pytest.mark.parametrize("value", VALUES, ids=[f"{i}-{type(v).__name__}" for i, v in enumerate(VALUES)])
def test_an_attribute_value_is_read_as_boto3_reads_it(value: Any) -> None:
    attribute = TypeSerializer().serialize(value)

    ours, boto3s = from_attribute(attribute), TypeDeserializer().deserialize(attribute)

    assert ours == boto3s
    if isinstance(boto3s, Decimal):  # the same digits and exponent, not only an equal number
        assert ours.as_tuple() == boto3s.as_tuple()


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (1.5, TypeError),  # a float: boto3 asks for a Decimal
        ({1.5}, TypeError),
        (Decimal("NaN"), TypeError),
        (Decimal("Infinity"), TypeError),
        (Decimal("1.00000000000000000000000000000000000001"), (Inexact, Rounded)),  # 39 digits
        (Decimal("1E+200"), Overflow),
        (object(), TypeError),
        ({"a", 1}, TypeError),  # a set of mixed kinds
    ],
    ids=["float", "float-set", "nan", "infinity", "39-digits", "overflow", "object", "mixed-set"],
)
def test_what_boto3_refuses_is_refused(value: Any, error: Any) -> None:
    with pytest.raises(error):
        TypeSerializer().serialize(value)
    with pytest.raises(error):
        to_attribute(value)


def test_an_empty_attribute_value_is_refused() -> None:
    with pytest.raises(TypeError):
        from_attribute({})
    with pytest.raises(TypeError):
        from_attribute({"X": "?"})
