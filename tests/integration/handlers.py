"""Calling a template function's handler with a sample event, as Lambda would, and reading its answer."""

from __future__ import annotations

import json
from typing import Any

import jwt

from invoice_hub_local.jwt_authorizer import stringified
from invoice_hub_local.lambda_runtime import invoke
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice

FUNCTIONS = {
    "auth_token": "AuthTokenFunction",
    "invoice_create": "InvoiceCreateFunction",
    "invoice_list": "InvoiceListFunction",
    "invoice_get": "InvoiceGetFunction",
    "invoice_update": "InvoiceUpdateFunction",
    "invoice_delete": "InvoiceDeleteFunction",
    "openapi_document": "OpenApiDocumentFunction",
    "swagger_ui": "SwaggerUiFunction",
}


def call(stack: LocalStack, function: str, event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = invoke(stack.stack.functions[FUNCTIONS[function]], event)
    headers = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = values[-1]
    body = response.get("body")
    is_json = headers.get("Content-Type", "").startswith("application/json")
    return response["statusCode"], headers, json.loads(body) if body and is_json else body


def authed(event: dict[str, Any], practice: Practice) -> dict[str, Any]:
    event["headers"]["Authorization"] = f"Bearer {practice.token}"
    event["multiValueHeaders"]["Authorization"] = [f"Bearer {practice.token}"]
    return authorized(event, practice.token)


def authorized(event: dict[str, Any], token: str) -> dict[str, Any]:
    """The event as API Gateway's JWT authorizer hands it on once it verified `token` (a token the local
    Cognito issued): its claims, stringified, at `requestContext.authorizer.claims` (payload 1.0)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    event["requestContext"]["authorizer"] = {
        "claims": {name: stringified(value) for name, value in claims.items()},
        "scopes": None,
    }
    return event


def for_invoice(event: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    event["pathParameters"] = {"id": invoice_id}
    event["path"] = f"/invoice/{invoice_id}"
    event["requestContext"]["path"] = f"/dev/invoice/{invoice_id}"
    return event


def with_body(event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    event["body"] = json.dumps(body)
    return event
