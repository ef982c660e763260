"""How the facades' answers are written in the OpenAPI document: every status an operation gives, with its
body and the headers that always come with it (so that a client generated from the document, or a fuzzer
checking the service against it, meets no surprise)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from aws_lambda_powertools.event_handler.openapi.types import (
    OpenAPIResponse,
    OpenAPIResponseContentModel,
    OpenAPIResponseContentSchema,
    OpenAPIResponseHeader,
)

from invoice_hub.contracts.wire import WireModel

JSON = "application/json"
Headers = dict[str, OpenAPIResponseHeader]


def header(
    description: str, schema: Mapping[str, Any] | None = None, *, required: bool = True
) -> OpenAPIResponseHeader:
    """A response header; `required`: the service sends it on every response of that status."""
    # `required` belongs to OpenAPI's Header Object; Powertools' TypedDict leaves it out
    return cast(
        OpenAPIResponseHeader,
        {"description": description, "required": required, "schema": dict(schema or {"type": "string"})},
    )


RETRY_AFTER: Headers = {
    "Retry-After": header("Seconds to wait before retrying", {"type": "integer", "minimum": 1})
}


def body(
    model: Any,
    description: str,
    *,
    media_types: Iterable[str] = (JSON,),
    with_headers: Headers | None = None,
    with_links: dict[str, Any] | None = None,
) -> OpenAPIResponse:
    """A response whose body is `model` in each of `media_types`."""
    content: dict[str, OpenAPIResponseContentModel | OpenAPIResponseContentSchema] = {
        media_type: {"model": model} for media_type in media_types
    }
    response: OpenAPIResponse = {"description": description, "content": content}
    if with_headers:
        response["headers"] = dict(with_headers)
    if with_links:
        response["links"] = dict(with_links)
    return response


def empty(description: str, with_headers: Headers | None = None) -> OpenAPIResponse:
    """A response without a body (Powertools would otherwise give it the route's return model)."""
    response: OpenAPIResponse = {"description": description, "content": {}}
    if with_headers:
        response["headers"] = dict(with_headers)
    return response


def links(operation_ids: Iterable[str], **parameters: str) -> dict[str, Any]:
    """OpenAPI links from an answer to the operations that take its ids (`id="$response.body#/id"`):
    a client, or a fuzzer's workflows, knows where an id goes next."""
    return {
        operation_id: {"operationId": operation_id, "parameters": dict(parameters)}
        for operation_id in operation_ids
    }


def body_link(operation_id: str, request_body: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI link to an operation whose request body takes the answer's id (runtime expressions in
    the body's values)."""
    return {operation_id: {"operationId": operation_id, "requestBody": request_body}}


class GatewayMessage(WireModel):
    """An answer API Gateway gives itself, before any function runs: `{"message": "..."}`."""

    message: str


#: a bearer route's 401: API Gateway's JWT authorizer refused the token (missing, malformed, forged,
#: expired, another issuer, client or scope) before any function ran, in API Gateway's words, whatever
#: the contract (docs/decisions/018-tokens-verified-at-the-gateway.md)
UNAUTHORIZED_AT_THE_GATEWAY: OpenAPIResponse = body(
    GatewayMessage,
    'Missing or invalid bearer token, refused by API Gateway: {"message": "Unauthorized"}',
    with_headers={
        "WWW-Authenticate": header(
            'Bearer, with the scope and why: Bearer scope="..." error="invalid_token" error_description="..."'
        )
    },
)
