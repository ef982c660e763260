"""A local API Gateway (HTTP API, payload format 1.0): real HTTP in, Lambda proxy events to the template's
functions, responses out.

It behaves as API Gateway does where clients notice:
- routes come from the template only (docs/decisions/003-local-stack-from-the-template.md);
- a request picks the most specific route for its path and method ("Routing API requests": a full match
  of route and method first, then a greedy path variable): a route without a `{proxy+}` that matches every
  segment wins, and at each segment a literal beats a `{param}`; only when none matches does the greedy
  route nearest the end of the path take the rest. A route's method must be the request's (or `ANY`). So
  `GET /billing/invoice/create` is the route `GET /billing/invoice/{id}` when no `GET` is at `create`;
- a trailing slash is part of the path: `/invoice/` is not the route `/invoice` (a `{param}` takes no
  empty segment) but the route `/invoice/{proxy+}`, whose variable takes the empty rest
  (docs/decisions/017-an-http-api.md: what an HTTP API is reported to do; AWS does not document it);
- a path and method no route has answers 404 `{"message":"Not Found"}`;
- a route with the JWT authorizer verifies the bearer token first, as API Gateway does
  (jwt_authorizer.py): a refused token is 401 `{"message":"Unauthorized"}` with a `www-authenticate`
  header, and the function is not invoked; a verified token's claims reach the function, stringified,
  at `requestContext.authorizer.claims` (docs/decisions/018-tokens-verified-at-the-gateway.md);
- a request body over 10 MB (10,485,760 bytes) answers 413 `{"message": "Request Too Long"}` before any
  function runs; at most the limit and one byte of a body is read (a larger Content-Length is refused
  unread; a chunked body is read up to limit + 1);
- a function that raises or answers a malformed proxy response gives 502 "Internal server error".
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from invoice_hub_local.jwt_authorizer import JwtAuthorizer, Refused, challenge
from invoice_hub_local.lambda_runtime import invoke
from invoice_hub_local.template import FunctionSpec, Route, Stack

log = logging.getLogger("invoice_hub_local.gateway")
STAGE = "local"
#: API Gateway's payload limit: 10 MB (a quota that cannot be raised)
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_READ_CHUNK = 64 * 1024


@dataclass
class Resource:
    """One resource of the REST API: its path, its methods and its child resources."""

    path: str  # the template's path, e.g. /invoice/{id}
    methods: dict[str, Route] = field(default_factory=dict)
    literals: dict[str, Resource] = field(default_factory=dict)
    parameter: Resource | None = None  # the `{name}` child
    greedy: Resource | None = None  # the `{name+}` child

    @property
    def name(self) -> str:
        """The path parameter a `{name}` or `{name+}` resource binds."""
        return self.path.rsplit("/", 1)[-1].strip("{}").removesuffix("+")

    def child(self, segment: str) -> Resource:
        path = f"{self.path.rstrip('/')}/{segment}"
        if not (segment.startswith("{") and segment.endswith("}")):
            return self.literals.setdefault(segment, Resource(path))
        slot = "greedy" if segment.endswith("+}") else "parameter"
        existing: Resource | None = getattr(self, slot)
        if existing is None:
            existing = Resource(path)
            setattr(self, slot, existing)
        elif existing.path != path:  # API Gateway refuses two variable siblings on import
            raise ValueError(f"{path} and {existing.path}: only one variable path part per resource")
        return existing

    def route(self, method: str) -> Route | None:
        return self.methods.get(method) or self.methods.get("ANY")

    def find(self, segments: list[str], method: str, greedy: bool) -> tuple[Route, dict[str, str]] | None:
        """The most specific route under this resource that matches the segments and the method, and its
        path parameters: without `greedy`, a full match only; with it, the deepest greedy route that takes
        the rest (one or more segments, empty ones too: a trailing slash leaves an empty last one)."""
        if not segments:
            route = self.route(method)
            return None if route is None else (route, {})
        head, rest = segments[0], segments[1:]
        literal = self.literals.get(head)
        found = literal.find(rest, method, greedy) if literal is not None else None
        if found is None and self.parameter is not None and head:
            below = self.parameter.find(rest, method, greedy)
            if below is not None:
                found = below[0], {self.parameter.name: head, **below[1]}
        if found is None and greedy and self.greedy is not None:
            route = self.greedy.route(method)
            if route is not None:
                found = route, {self.greedy.name: "/".join(segments)}
        return found


def resource_tree(routes: Iterable[Route]) -> Resource:
    """The API's resources, as API Gateway builds them from the template's paths (each parent included)."""
    root = Resource("/")
    for route in routes:
        resource = root
        for segment in route.path.strip("/").split("/"):
            if segment:
                resource = resource.child(segment)
        resource.methods[route.method] = route
    return root


def _message(text: str) -> str:
    """API Gateway's own body, as it sends it: `{"message":"..."}`, without spaces."""
    return json.dumps({"message": text}, separators=(",", ":"))


def _not_found() -> Response:
    return Response(_message("Not Found"), status=404, content_type="application/json")


def _unauthorized(route: Route, reason: str) -> Response:
    return Response(
        _message("Unauthorized"),
        status=401,
        content_type="application/json",
        headers={"www-authenticate": challenge(route.scopes, reason)},
    )


def _too_long() -> Response:
    return Response(_message("Request Too Long"), status=413, content_type="application/json")


def _bad_gateway() -> Response:
    return Response(_message("Internal server error"), status=502, content_type="application/json")


def read_body(request: Request) -> bytes | None:
    """The request's body, or None when it is over API Gateway's limit. A Content-Length over the limit is
    refused unread; otherwise (a chunked body, say) at most the limit and one byte is read."""
    declared = request.content_length
    if declared is not None and declared > MAX_PAYLOAD_BYTES:
        return None
    stream = request.stream  # werkzeug stops it at Content-Length, or at the end of a chunked body
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_PAYLOAD_BYTES:
        chunk = stream.read(min(_READ_CHUNK, MAX_PAYLOAD_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > MAX_PAYLOAD_BYTES else b"".join(chunks)


class Gateway:
    """A WSGI application serving every API function of the template."""

    def __init__(self, stack: Stack, authorizers: dict[str, JwtAuthorizer] | None = None) -> None:
        self.functions: dict[str, FunctionSpec] = stack.functions
        self.root = resource_tree(stack.routes)
        self.authorizers = authorizers or {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = self.handle(Request(environ))
        return response(environ, start_response)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route serving the request, and its path parameters: a full match of path and method, else
        a greedy route's. A trailing slash is an empty last segment, as an HTTP API takes it."""
        segments = path.split("/")[1:] if path != "/" else []
        return self.root.find(segments, method, greedy=False) or self.root.find(segments, method, greedy=True)

    def handle(self, request: Request) -> Response:
        body = read_body(request)
        if body is None:
            return _too_long()
        matched = self.match(request.method, request.path)
        if matched is None:
            return _not_found()
        route, params = matched
        claims: dict[str, str] | None = None
        if route.authorizer is not None:
            try:
                authorizer = self.authorizers.get(route.authorizer)
                if authorizer is None:  # a route the gateway cannot authorize is never served open
                    raise Refused(f"no local authorizer {route.authorizer}")
                claims = authorizer.claims(request.headers, route.scopes)
            except Refused as refusal:
                log.info("%s %s -> 401 (%s)", request.method, request.path, refusal)
                return _unauthorized(route, str(refusal))
        event = proxy_event(request, route, params, body, claims)
        started = time.perf_counter()
        try:
            result = invoke(self.functions[route.function], event)
        except Exception:  # a function error is API Gateway's 502, whatever it was
            log.exception("function %s raised", route.function)
            return _bad_gateway()
        response = proxy_to_response(result)
        log.info(
            "%s %s -> %s %s (%.0f ms)",
            request.method,
            request.path,
            route.function,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response


def proxy_event(
    request: Request,
    route: Route,
    path_params: dict[str, str],
    raw: bytes | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The payload format 1.0 proxy event API Gateway would send for this request (`raw`: its body,
    when already read; `claims`: what the route's JWT authorizer verified)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = request.args
    if raw is None:
        raw = request.get_data()
    body: str | None
    encoded = False
    if not raw:
        body = None
    else:
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(raw).decode(), True
    request_id = str(uuid.uuid4())
    resource = route.path
    return {
        "version": "1.0",
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: query.getlist(k)[-1] for k in query} or None,
        "multiValueQueryStringParameters": {k: query.getlist(k) for k in query} or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "path": request.path,
            "accountId": "123456789012",
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "stage": STAGE,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(time.time() * 1000),
            "requestId": request_id,
            "identity": {
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string,
            },
            "domainName": request.host,
            "apiId": "local",
            **({"authorizer": {"claims": claims, "scopes": None}} if claims is not None else {}),
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def proxy_to_response(result: Any) -> Response:
    """A Lambda proxy response to HTTP, or 502 where API Gateway would reject it."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        log.error("malformed Lambda proxy response")
        return _bad_gateway()
    headers = Headers()
    for name, value in (result.get("headers") or {}).items():
        headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.remove(name)
        for value in values:
            headers.add(name, str(value))
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    return Response(data, status=result["statusCode"], headers=headers)
