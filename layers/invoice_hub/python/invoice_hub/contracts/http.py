"""What every facade needs from an API Gateway (REST, v1) proxy event and response.

The functions import Powertools' route parameters and `Response` from here, after the contracts package
has made Powertools' event handler import without its other resolvers (decision 023).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response as Response
from aws_lambda_powertools.event_handler import content_types as content_types
from aws_lambda_powertools.event_handler.openapi.params import Form as Form
from aws_lambda_powertools.event_handler.openapi.params import Header as Header
from aws_lambda_powertools.event_handler.openapi.params import Query as Query

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

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

JSON = "application/json"
XML = "application/xml"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
#: the largest body an operation reads (its own contract's bodies are a few KB; API Gateway passes 10 MB)
MAX_BODY_BYTES = 1024 * 1024
#: the deepest nesting of arrays and objects a JSON body may have (the contracts' bodies nest 4 levels)
MAX_JSON_DEPTH = 32
#: a JSON string, or an unterminated one to the end of the text (so that removing strings takes one pass)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_AS_SQUARE = str.maketrans("{}", "[]")

BodyProblemKind = Literal[
    "too_large", "unsupported_media_type", "json_invalid", "not_an_object", "multipart_invalid"
]


@dataclass(frozen=True)
class BodyProblem:
    """Why a request body cannot be the operation's input: `kind`, the media type the operation takes, and
    a message for the client that never quotes the body (it may carry patient data)."""

    kind: BodyProblemKind
    takes: str
    message: str


class JSONTooDeep(json.JSONDecodeError):
    """A JSON text nested deeper than MAX_JSON_DEPTH (or whose brackets do not balance), refused before it
    is parsed."""


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header by name, whatever its case (API Gateway keeps the client's casing)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            return str(value)
    return None


def media_type(content_type: str | None) -> tuple[str, list[str]]:
    """A Content-Type's media type (lower case) and its parameters; none is JSON, as FastAPI reads it."""
    kind, *parameters = (part.strip() for part in (content_type or JSON).split(";"))
    return kind.lower() or JSON, parameters


def nests_within(limit: int, text: str) -> bool:
    """Whether a JSON text's arrays and objects close, at most `limit` deep, found without parsing it: with
    strings left out, each pass removes the innermost pairs, so brackets that balance within `limit` levels
    are gone after `limit` passes (each a linear scan in C, whatever the text). Brackets that do not
    balance make the text invalid JSON anyway, and the parser would recurse into every opening one."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text)).translate(_AS_SQUARE)
    for _ in range(limit):
        if "[]" not in brackets:
            break
        brackets = brackets.replace("[]", "")
    return not brackets


def read_json(text: str) -> Any:
    """The one JSON reader of request bodies: bounded in depth before it parses (the parser's recursion
    would otherwise end in a RecursionError, a 5xx). Raises json.JSONDecodeError for what it refuses."""
    if not nests_within(MAX_JSON_DEPTH, text):
        raise JSONTooDeep(f"brackets nested deeper than {MAX_JSON_DEPTH} levels, or unbalanced", "", 0)
    return json.loads(text)


def body_media_type(app: APIGatewayRestResolver) -> str | None:
    """The media type the function's route takes its body in (JSON for a model, a form for Form
    parameters: what its OpenAPI requestBody says), or None when it takes no body. One function serves
    one route; Powertools keeps its routes in these lists (it has no public one)."""
    for route in app._static_routes + app._dynamic_routes:
        for parameter in route.dependant.body_params:
            return str(getattr(parameter.field_info, "media_type", JSON))
    return None


def body_bytes(event: Mapping[str, Any]) -> bytes:
    """The body's bytes: API Gateway passes a body as text (UTF-8), or base64 for a binary media type. A
    lone surrogate in the text (bytes the gateway could not decode) is kept, so decoding them fails."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(raw, validate=True)
    return str(raw).encode("utf-8", "surrogatepass")


def as_powertools_reads(event: dict[str, Any]) -> dict[str, Any]:
    """The event as Powertools parses it: a multipart body as base64 of its UTF-8 bytes (Powertools reads
    a text one as Latin-1, which garbles any non-ASCII field and fails on any character above U+00FF).
    Checked by `body_problem` first, so its bytes are UTF-8."""
    kind, _ = media_type(header(event, "Content-Type"))
    if kind != MULTIPART or event.get("isBase64Encoded") or not event.get("body"):
        return event
    return {**event, "body": base64.b64encode(body_bytes(event)).decode("ascii"), "isBase64Encoded": True}


def unsupported_media_type(takes: str | None) -> str:
    """The message of a 415: the media type the operation takes."""
    return f"Unsupported Media Type: send the body as {takes or JSON}"


def body_problem(event: Mapping[str, Any], takes: str | None) -> BodyProblem | None:
    """Why the request's body cannot be read as the operation's input, or None; checked before routing, in
    this order: its size, its media type (JSON, or a form: `takes`), then its content (UTF-8 JSON of
    bounded depth that is an object; a multipart form with its boundary). An operation that takes no body
    ignores one, as API Gateway and FastAPI do. An empty body in a media type the operation takes is left
    to the operation (a missing body); one in another media type is refused as such. An XML body (which an
    operation reads itself, with its own parser) is checked here for its size and media type only."""
    raw = event.get("body") or ""
    if takes is None:
        return None
    encoded = bool(event.get("isBase64Encoded"))
    if (len(raw) * 3 // 4 if encoded else len(raw)) > MAX_BODY_BYTES:
        return BodyProblem("too_large", takes, f"The request body is larger than {MAX_BODY_BYTES} bytes")
    content_type = header(event, "Content-Type")
    if not raw and not content_type:
        return None
    kind, parameters = media_type(content_type)
    if kind not in {JSON: (JSON,), XML: (XML,)}.get(takes, (FORM, MULTIPART)):
        return BodyProblem("unsupported_media_type", takes, unsupported_media_type(takes))
    if kind == MULTIPART:
        has_boundary = any(p.startswith("boundary=") and len(p) > len("boundary=") for p in parameters)
        try:  # the form's fields are text: Powertools decodes each as UTF-8, and fails on other bytes
            if has_boundary:
                body_bytes(event).decode("utf-8")
                return None
        except (UnicodeError, binascii.Error):
            pass
        return BodyProblem("multipart_invalid", takes, "There was an error parsing the body")
    if kind != JSON or not raw:
        return None  # a form (Powertools reads it) or XML (its operation reads it)
    try:
        parsed = read_json(body_bytes(event).decode("utf-8"))
    except (UnicodeError, binascii.Error, ValueError):
        return BodyProblem("json_invalid", takes, "JSON decode error")
    if not isinstance(parsed, dict):
        return BodyProblem(
            "not_an_object", takes, "Input should be a valid dictionary or object to extract fields from"
        )
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


#: API Gateway's own answer to a path and method no route takes (HTTP API, "Routing API requests")
NO_ROUTE_STATUS = 404
NO_ROUTE_BODY = {"message": "Not Found"}


def greedy_remainder(event: Mapping[str, Any]) -> str:
    """What the greedy path variable (`{name+}`, last in a route's path) of the event's route took, "" when
    the route has none or it took nothing (`/invoice/` through `/invoice/{proxy+}`)."""
    resource = str(event.get("resource") or "")
    last = resource.rsplit("/", 1)[-1]
    if not (last.startswith("{") and last.endswith("+}")):
        return ""
    parameters = event.get("pathParameters") or {}
    return str(parameters.get(last[1:-2]) or "")


def no_route() -> dict[str, Any]:
    """API Gateway's 404 for a path no route takes, as it sends it (`{"message":"Not Found"}`)."""
    return proxy_response(NO_ROUTE_STATUS, NO_ROUTE_BODY)
