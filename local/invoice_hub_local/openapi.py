"""Generates the API's OpenAPI document from the functions' resolvers (Powertools OpenAPIMerge).

`python -m invoice_hub_local.openapi --write` refreshes the committed document; `--check` fails when the
committed one differs from what the code generates.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import (
    APIKey,
    APIKeyIn,
    OAuth2,
    OAuthFlowPassword,
    OAuthFlows,
)

from invoice_hub.contracts import docs
from invoice_hub_local import generated
from invoice_hub_local.lambda_runtime import load_module
from invoice_hub_local.template import ROOT, load_stack

DOCUMENT = ROOT / "layers/invoice_hub/python/invoice_hub/contracts" / docs.DOCUMENT_NAME
#: the contract's paths keep their trailing slash (API Gateway REST serves both spellings)
CONTRACT_PATHS = {"/invoice": "/invoice/"}


SECURITY_SCHEMES: dict[str, Any] = {
    "OAuth2PasswordBearer": OAuth2(flows=OAuthFlows(password=OAuthFlowPassword(tokenUrl="/auth/token"))),
    "DecodaTenant": APIKey(name="TENANT", **{"in": APIKeyIn.header}),
    "DecodaApiKey": APIKey(name="API-KEY", **{"in": APIKeyIn.header}),
    "EbhProducerId": APIKey(name="ProducerId", **{"in": APIKeyIn.header}),
    "EbhProviderKey": APIKey(name="ProviderKey", **{"in": APIKeyIn.header}),
}


def function_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each API function's own OpenAPI document, by logical id, from its resolver loaded as Lambda loads it.
    The security schemes are given here, not in the functions, so that no function pays at cold start for
    OpenAPI models it does not serve."""
    for spec in sorted(load_stack().functions.values(), key=lambda f: f.logical_id):
        if not spec.routes:
            continue  # queue consumers and schedules serve no HTTP
        resolver = load_module(spec).app
        yield (
            spec.logical_id,
            resolver.get_openapi_schema(title="invoice-hub", security_schemes=SECURITY_SCHEMES).model_dump(
                mode="json", by_alias=True, exclude_none=True
            ),
        )


def generate() -> dict[str, Any]:
    merge = OpenAPIMerge(
        title="invoice-hub",
        version="1.0.0",
        description=(
            "Healthcare billing: the Invoice API (seed 003) with OAuth2 password bearer tokens. "
            "Clients of the published contracts work unchanged."
        ),
        security_schemes=SECURITY_SCHEMES,
        on_conflict="error",
    )
    for _, schema in function_schemas():
        merge.add_schema(schema)
    merged = json.loads(merge.get_openapi_json_schema())
    merged["paths"] = {CONTRACT_PATHS.get(path, path): ops for path, ops in sorted(merged["paths"].items())}
    return without_unreferenced_schemas(
        with_read_bodies(with_multipart_forms(without_null_parameters(without_unanswered_422(merged))))
    )


READ_BODY = "x-request-body"


def with_read_bodies(schema: dict[str, Any]) -> dict[str, Any]:
    """The request body of an operation that reads its body itself (eBillingHub's XML invoices: Powertools
    reads only JSON and forms, so it cannot document one), which the route gives as `x-request-body`."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            if READ_BODY in operation:
                operation["requestBody"] = operation.pop(READ_BODY)
    return schema


#: the 422 Powertools documents on every validated route
POWERTOOLS_422 = "#/components/schemas/HTTPValidationError"
SCHEMA_REF = "#/components/schemas/"


def without_unanswered_422(schema: dict[str, Any]) -> dict[str, Any]:
    """Drops the 422 that Powertools adds to every validated route where the facade never answers it:
    Healthbridge and eBillingHub answer validation errors with 400 (the FastAPI-style routes declare
    their own 422, whose body names only the fields they send)."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            if answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") == (
                POWERTOOLS_422
            ):
                del operation["responses"]["422"]
    return schema


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def with_multipart_forms(schema: dict[str, Any]) -> dict[str, Any]:
    """A form is also taken as multipart/form-data (the token endpoint reads both, as FastAPI's does);
    Powertools documents only the urlencoded one, so the document names the other too, with its schema."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            if FORM in content and MULTIPART not in content:
                content[MULTIPART] = json.loads(json.dumps(content[FORM]))
    return schema


def without_null_parameters(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter is sent or left out, never null: Powertools documents an optional one (`str | None`) as
    `anyOf: [string, null]`, which invites `If-Match: null` or `?status=null`, text no operation takes.
    Each parameter's schema keeps its other branches (one left takes the branches' place)."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                described = parameter["schema"]
                branches = [branch for branch in described.get("anyOf", []) if branch != {"type": "null"}]
                if branches and len(branches) < len(described["anyOf"]):
                    del described["anyOf"]
                    if len(branches) == 1:
                        described.update({**branches[0], **described})
                    else:
                        described["anyOf"] = branches
    return schema


def references(node: Any) -> Iterator[str]:
    """The names of the component schemas `node` refers to (`$ref`s), at any depth."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            yield ref.removeprefix(SCHEMA_REF)
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def without_unreferenced_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    """Keeps only the component schemas the document reaches from outside `components.schemas` (its
    paths, and any other component), directly or through other schemas. Each function's resolver names
    models no answer uses: Powertools adds `ResponseValidationError` to every document, whose `detail`
    refers to `ValidationError`, a schema of the 422s removed above; removing schemas by name left it
    pointing at nothing, an invalid document. A reference to a schema the document lacks is an error."""
    schemas: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    roots = {key: value for key, value in schema.items() if key != "components"}
    roots["components"] = {
        key: value for key, value in schema.get("components", {}).items() if key != "schemas"
    }
    reached: set[str] = set()
    pending = list(references(roots))
    while pending:
        name = pending.pop()
        if name not in reached and name in schemas:
            reached.add(name)
            pending.extend(references(schemas[name]))
    for name in set(schemas) - reached:
        del schemas[name]
    missing = set(references(schema)) - set(schemas)
    if missing:
        raise ValueError(f"the OpenAPI document refers to schemas it does not define: {sorted(missing)}")
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    return generated.main(argv, __doc__, DOCUMENT, lambda: render(generate()), "make openapi")


if __name__ == "__main__":
    sys.exit(main())
