"""What every facade needs from an API Gateway (REST, v1) proxy event and response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header

#: the `Idempotency-Key` header every creating POST honours
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Same key and body: the first response is replayed (24 h); another body: a client error",
    ),
]


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header by name, whatever its case (API Gateway keeps the client's casing)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            return str(value)
    return None


def json_response(status_code: int, body: Any, headers: Mapping[str, str] | None = None) -> Response[Any]:
    """A JSON response whose body is already a JSON string, or a value to serialise."""
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=text,
        headers=dict(headers or {}),
    )


def proxy_response(status_code: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A Lambda proxy response built without a resolver (for answers given before routing)."""
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": content_types.APPLICATION_JSON, **(headers or {})},
        "multiValueHeaders": {},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }
