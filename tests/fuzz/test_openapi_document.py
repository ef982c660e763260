"""The OpenAPI document itself, before anything is sent: what the fuzzer (and every generated client)
relies on. No stack needed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from invoice_hub_local import openapi

DOCUMENT: dict[str, Any] = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]
#: each contract's error bodies (seeds 000-004): FastAPI-style, or ASP.NET's {"Message": ...}
ERROR_SCHEMAS = {
    "Invoice API": {"ErrorDetail", "ValidationErrors"},
    "Auth": {"ErrorDetail", "ValidationErrors"},
    "Decoda": {"ErrorDetail", "ValidationErrors"},
    "Healthbridge": {"ErrorMessage"},
    "eBillingHub": {"ErrorMessage"},
    "Webhooks": {"WebhookError"},  # the providers' webhooks: {"error": ...}
}
#: what API Gateway answers itself, whatever the contract: a bearer route's 401 from its JWT authorizer
#: (docs/decisions/018-tokens-verified-at-the-gateway.md)
GATEWAY_SCHEMAS = {"401": {"GatewayMessage"}}
BEARER_TAGS = {"Invoice API", "Healthbridge"}


def schema_names(response: dict[str, Any]) -> set[str]:
    return {
        media["schema"].get("$ref", "").rsplit("/", 1)[-1] for media in response.get("content", {}).values()
    }


@pytest.mark.parametrize(("label", "operation"), OPERATIONS, ids=[label for label, _ in OPERATIONS])
def test_every_error_is_the_contracts_error_body(label: str, operation: dict[str, Any]) -> None:
    # Powertools gives a response declared without content the route's return model; no error may have it
    (tag,) = operation["tags"]
    for status, response in operation["responses"].items():
        if int(status) >= 400:
            names = schema_names(response)
            assert names, (label, status)
            gateway = status in GATEWAY_SCHEMAS and tag in BEARER_TAGS
            assert names <= (GATEWAY_SCHEMAS[status] if gateway else ERROR_SCHEMAS[tag]), (label, status)


@pytest.mark.parametrize(("label", "operation"), OPERATIONS, ids=[label for label, _ in OPERATIONS])
def test_every_operation_documents_the_busy_answer_with_retry_after(
    label: str, operation: dict[str, Any]
) -> None:
    busy = operation["responses"]["503"]
    assert busy["headers"]["Retry-After"]["required"] is True


def test_every_link_names_an_operation_and_its_parameters() -> None:
    by_id = {operation["operationId"]: operation for _, operation in OPERATIONS}
    links = [
        (label, name, link)
        for label, operation in OPERATIONS
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    ]
    assert len(links) >= 8
    for label, name, link in links:
        target = by_id.get(link["operationId"])
        assert target is not None, (label, name)
        taken = {parameter["name"] for parameter in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= taken, (label, name)
        assert "parameters" in link or "requestBody" in target, (label, name)


def test_no_two_schemas_share_a_component_name() -> None:
    # each function's document names its own models; the merged one keeps one schema per name, so two
    # models of one name (eBillingHub's entry and the invoice's status, say) would describe one wrongly
    merged = DOCUMENT["components"]["schemas"]
    for function, schema in openapi.function_schemas():
        for name, component in schema.get("components", {}).get("schemas", {}).items():
            if name in merged:
                assert json.loads(json.dumps(component)) == merged[name], (function, name)


def test_the_clean_up_keeps_the_schemas_the_paths_reach_and_only_those() -> None:
    # given schemas reached from a path directly, through another schema (in a cycle), and not at all
    ref = "#/components/schemas/"
    document: dict[str, Any] = {
        "paths": {
            "/a": {
                "get": {
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": f"{ref}A"}}}}}
                }
            }
        },
        "components": {
            "schemas": {
                "A": {"properties": {"b": {"items": {"$ref": f"{ref}B"}}}},
                "B": {"anyOf": [{"$ref": f"{ref}A"}, {"type": "null"}]},
                "Unanswered": {"properties": {"detail": {"$ref": f"{ref}Gone"}}},
                "Orphan": {"type": "string"},
            },
            "securitySchemes": {},
        },
    }
    # when the document is cleaned up
    schemas = openapi.without_unreferenced_schemas(document)["components"]["schemas"]
    # then what nothing reaches is gone (with its dangling reference), and the rest stays
    assert set(schemas) == {"A", "B"}


def test_the_clean_up_refuses_a_reference_to_a_schema_the_document_lacks() -> None:
    document: dict[str, Any] = {
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gone"}}}
                        }
                    }
                }
            }
        },
        "components": {"schemas": {}},
    }
    with pytest.raises(ValueError, match="Gone"):
        openapi.without_unreferenced_schemas(document)


def test_no_parameter_is_documented_as_null() -> None:
    # a header or query parameter is sent as text or left out: `null` would be the text "null"
    for label, operation in OPERATIONS:
        for parameter in operation.get("parameters", []):
            assert {"type": "null"} not in parameter["schema"].get("anyOf", []), (label, parameter["name"])
            assert parameter["schema"].get("type") != "null", (label, parameter["name"])
