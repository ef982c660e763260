"""DynamoDB's attribute values to and from Python values, by the rules of boto3's `TypeSerializer` and
`TypeDeserializer` (`boto3.dynamodb.types`), without importing boto3: importing any module of boto3 runs
its package `__init__`, which imports s3transfer (and with it `multiprocessing`), about 20 ms of CPU at
every cold start for a function that never touches S3 (docs/decisions/025-one-botocore-session.md).
`tests/unit/test_attribute_values.py` holds these functions to boto3's on every type either one takes.

    Python                          DynamoDB
    None                            {"NULL": True}
    bool                            {"BOOL": ...}
    int, Decimal                    {"N": "..."}   (38 digits at most; float, NaN and Infinity refused)
    str                             {"S": ...}
    bytes, bytearray                {"B": ...}     (read back as bytes)
    a set of numbers, texts, bytes  {"NS" | "SS" | "BS": [...]}
    a mapping                       {"M": {...}}
    a list or tuple                 {"L": [...]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

#: boto3's: a number DynamoDB cannot hold exactly is refused, never rounded
DYNAMODB_CONTEXT = Context(
    Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)
BINARY_TYPES = (bytes, bytearray)


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return isinstance(value, int | Decimal)  # bool too, as boto3 has it (a bool alone is BOOL, checked first)


def _number(value: Any) -> str:
    number = str(DYNAMODB_CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_binary(value: Any) -> bool:
    return isinstance(value, BINARY_TYPES) or _is_boto3_binary(value)


def _is_boto3_binary(value: Any) -> bool:
    """boto3's `Binary` wrapper (a caller may hold one), recognised without importing boto3."""
    kind = type(value)
    return kind.__name__ == "Binary" and kind.__module__ == "boto3.dynamodb.types"


def _binary(value: Any) -> Any:
    return value.value if _is_boto3_binary(value) else value


def _set_of(value: Any, is_kind: Callable[[Any], bool]) -> bool:
    # boto3 checks every element: an empty set is a number set, a float in it is refused
    return isinstance(value, Set) and False not in map(is_kind, value)


def to_attribute(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value (boto3's `TypeSerializer().serialize`)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if _is_binary(value):
        return {"B": _binary(value)}
    if _set_of(value, _is_number):
        return {"NS": [_number(number) for number in value]}
    if _set_of(value, _is_text):
        return {"SS": list(value)}
    if _set_of(value, _is_binary):
        return {"BS": [_binary(item) for item in value]}
    if isinstance(value, Mapping):
        return {"M": {key: to_attribute(item) for key, item in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(item) for item in value]}
    raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


def from_attribute(value: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as a Python value (boto3's `TypeDeserializer().deserialize`; binary data
    is read as bytes, not boto3's `Binary`, which compares equal to them)."""
    if not value:
        raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
    kind, data = next(iter(value.items()))
    if kind == "NULL":
        return None
    if kind in ("BOOL", "S"):
        return data
    if kind == "N":
        return DYNAMODB_CONTEXT.create_decimal(data)
    if kind == "B":
        return bytes(data)
    if kind == "NS":
        return {DYNAMODB_CONTEXT.create_decimal(number) for number in data}
    if kind == "SS":
        return set(data)
    if kind == "BS":
        return {bytes(item) for item in data}
    if kind == "L":
        return [from_attribute(item) for item in data]
    if kind == "M":
        return {key: from_attribute(item) for key, item in data.items()}
    raise TypeError(f"Dynamodb type {kind} is not supported")
