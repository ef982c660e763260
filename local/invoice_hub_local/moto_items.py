"""DynamoDB's items in moto's answers, written from the form moto holds them in instead of walked by shape.

moto keeps an item in DynamoDB's wire form (`{"name": {"S": "..."}}`) but for binary values, which it
holds as bytes, and since 5.1 answers through a generic serializer that walks each AttributeValue by its
botocore shape: each of its ten members looked up under several aliases, for every attribute of every
item. It was the largest part of moto's time in the test run (the edge suite: 6 ms per GetRecords of the
table's stream, 2.6 ms per GetItem, against 0.2 ms per PutItem). Here, where the shape is an
AttributeValue or a map of them and the value is that form (a dict), the value is written as it is, its
binary values in base64 as the serializer writes them: the same JSON, byte for byte, which
tests/integration/test_local_moto_items.py checks against the generic serializer for every type.

Only DynamoDB's and DynamoDB Streams' JSON serializer is changed; `install()` is called by the local stack
before moto's server starts; it is idempotent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.serialize import SERIALIZERS, SERVICE_SPECIFIC_SERIALIZERS, ResponseSerializer

ATTRIBUTE_VALUE = "AttributeValue"
#: the protocol of both services' models (botocore: dynamodb and dynamodbstreams are "json")
PROTOCOL = "json"
_install_lock = threading.Lock()

#: a serializer's method for one shape type: (self, serialized, value, shape, key)
Serialize = Callable[..., None]


def is_held(value: Any) -> bool:
    """An AttributeValue as moto holds it: one type key and its value."""
    return isinstance(value, dict) and len(value) == 1


def _wire(self: ResponseSerializer, attribute: dict[str, Any]) -> dict[str, Any]:
    ((kind, value),) = attribute.items()
    if kind == "B":
        return {"B": self._base64(value)}
    if kind == "BS":
        return {"BS": [self._base64(member) for member in value]}
    if kind == "M":
        return {"M": {name: _wire(self, member) for name, member in value.items()}}
    if kind == "L":
        return {"L": [_wire(self, member) for member in value]}
    return attribute


def _as_held(structure: Serialize, mapping: Serialize) -> tuple[Serialize, Serialize]:
    def serialize_structure(
        self: ResponseSerializer, serialized: Any, value: Any, shape: Any, key: str
    ) -> None:
        if shape.name == ATTRIBUTE_VALUE and key and is_held(value):
            serialized[self.get_serialized_name(shape, key)] = _wire(self, value)
            return
        structure(self, serialized, value, shape, key)

    def serialize_map(self: ResponseSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
        member = getattr(shape, "value", None)
        if (
            getattr(member, "name", None) == ATTRIBUTE_VALUE
            and isinstance(value, dict)
            and all(is_held(attribute) for attribute in value.values())
        ):
            serialized[self.get_serialized_name(shape, key)] = {
                name: _wire(self, attribute) for name, attribute in value.items()
            }
            return
        mapping(self, serialized, value, shape, key)

    serialize_structure.as_held = True  # type: ignore[attr-defined]
    return serialize_structure, serialize_map


def serializer() -> type[ResponseSerializer]:
    """The serializer class moto answers DynamoDB (and its streams) with."""
    for service in ("dynamodb", "dynamodbstreams"):
        assert PROTOCOL not in SERVICE_SPECIFIC_SERIALIZERS.get(service, {}), service
    return SERIALIZERS[PROTOCOL]


def install() -> None:
    with _install_lock:
        if not getattr(serializer()._serialize_type_structure, "as_held", False):
            _install()


def _install() -> None:
    cls = serializer()
    structure, mapping = _as_held(cls._serialize_type_structure, cls._serialize_type_map)
    cls._serialize_type_structure = structure  # type: ignore[method-assign]
    cls._serialize_type_map = mapping  # type: ignore[method-assign]


def uninstall() -> None:
    """The generic serializer again (the test compares the two)."""
    with _install_lock:
        cls = serializer()
        if getattr(cls.__dict__.get("_serialize_type_structure"), "as_held", False):
            del cls._serialize_type_structure
            del cls._serialize_type_map
