"""What every facade needs from an API Gateway (REST, v1) proxy event and response."""

from __future__ import annotations

import base64
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


def body_problem(event: Mapping[str, Any]) -> str | None:
    """Why a request body cannot be a request object, or None: JSON bytes that are not UTF-8
    ("json_invalid"), JSON that is not an object ("model_attributes_type"), or a multipart body without
    its boundary ("multipart_invalid"). Powertools would answer the first and the last with a 500 and
    quietly take the first element of a list, where the contracts answer a client error."""
    raw = event.get("body")
    content_type = (header(event, "Content-Type") or "application/json").lower()
    if not raw:
        return None
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    if media_type == "multipart/form-data":
        has_boundary = any(p.startswith("boundary=") and len(p) > len("boundary=") for p in parameters)
        return None if has_boundary else "multipart_invalid"
    if "json" not in media_type:
        return None
    try:
        text = base64.b64decode(raw).decode("utf-8") if event.get("isBase64Encoded") else str(raw)
        parsed = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return "json_invalid"
    return None if isinstance(parsed, dict) else "model_attributes_type"


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
