"""The operations the edge suite calls, read from the committed OpenAPI document: each (path, method), the
contract it belongs to (its tag), the security schemes it needs, the media types of its request body (none
for an operation that takes no body), and a valid request for it to start from (path parameters, body).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from invoice_hub_local.openapi import DOCUMENT

SPEC: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
XML = "application/xml"
#: the document's security schemes and the headers each one sets
SCHEME_HEADERS = {
    "OAuth2PasswordBearer": "Authorization",
    "DecodaTenant": "TENANT",
    "DecodaApiKey": "API-KEY",
    "EbhProducerId": "ProducerId",
    "EbhProviderKey": "ProviderKey",
}
#: each tag's error contract: FastAPI's {"detail"}, ASP.NET's {"Message"} (Healthbridge: or XML),
#: eBillingHub's {"Message"} with an OperationId header on every answer
FAMILIES = {
    "Invoice API": "fastapi",
    "Auth": "fastapi",
    "Decoda": "fastapi",
    "Healthbridge": "healthbridge",
    "eBillingHub": "ebh",
    "Webhooks": "provider",  # a provider's events, signed by it: {"error": ...} on a refusal
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    tag: str
    schemes: tuple[str, ...]
    media_types: tuple[str, ...]  # of the request body; empty: the operation takes no body
    parameters: tuple[tuple[str, str], ...]  # (name, in) of every declared parameter

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def family(self) -> str:
        return FAMILIES[self.tag]

    @property
    def takes_body(self) -> bool:
        return bool(self.media_types)

    @property
    def takes_form(self) -> bool:
        return FORM in self.media_types

    @property
    def takes_xml(self) -> bool:
        return XML in self.media_types

    @property
    def header_names(self) -> tuple[str, ...]:
        return tuple(name for name, where in self.parameters if where == "header")

    @property
    def query_names(self) -> tuple[str, ...]:
        return tuple(name for name, where in self.parameters if where == "query")

    @property
    def credential_headers(self) -> tuple[str, ...]:
        return tuple(SCHEME_HEADERS[scheme] for scheme in self.schemes)


def _operations() -> list[Operation]:
    found = []
    for path, item in SPEC["paths"].items():
        for method, raw in item.items():
            if method not in METHODS:
                continue
            body = raw.get("requestBody") or {}
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=raw["operationId"],
                    tag=raw["tags"][0],
                    schemes=tuple(name for req in raw.get("security", []) for name in req),
                    media_types=tuple(body.get("content", {})),
                    parameters=tuple((p["name"], p["in"]) for p in raw.get("parameters", [])),
                )
            )
    return sorted(found, key=lambda op: (op.path, op.method))


OPERATIONS = _operations()
BY_LABEL = {operation.label: operation for operation in OPERATIONS}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(schema: dict[str, Any]) -> Any:
    """A valid value of a schema: its example where the document gives one, else one built from its type
    (required properties only)."""
    schema = _resolve(schema)
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return example(next(s for s in schema["anyOf"] if s.get("type") != "null"))
    kind = schema.get("type")
    if kind == "object":
        return {name: example(schema["properties"][name]) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema["items"])] * max(1, schema.get("minItems", 1))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("format") == "date":
        return "2026-01-01"
    return "edge"


def body_schema(operation: Operation) -> dict[str, Any]:
    raw = SPEC["paths"][operation.path][operation.method.lower()]
    schema: dict[str, Any] = raw["requestBody"]["content"][operation.media_types[0]]["schema"]
    return _resolve(schema)


def path_values(operation: Operation, practice_id: str) -> dict[str, str]:
    """A value of each path parameter of the right type that names nothing of the practice (so the same
    request answers the same every time): a fresh UUID, `v1`, a date; the practice's own id."""
    raw = SPEC["paths"][operation.path][operation.method.lower()]
    values = {}
    for parameter in raw.get("parameters", []):
        if parameter["in"] != "path":
            continue
        name = parameter["name"]
        values[name] = practice_id if name == "practiceid" else str(example(parameter["schema"]))
    return values
