"""A local API Gateway (REST): real HTTP in, Lambda proxy events to the template's functions, responses out.

It behaves as API Gateway does where clients notice: routes come from the template only; an unknown
path or method answers 403 "Missing Authentication Token"; a trailing slash matches the same resource;
a function that raises or answers a malformed proxy response gives 502 "Internal server error".
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from invoice_hub_local.lambda_runtime import invoke
from invoice_hub_local.template import FunctionSpec, Route, Stack

log = logging.getLogger("invoice_hub_local.gateway")
STAGE = "local"


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, route: Route) -> CompiledRoute:
        regex = ""
        for part in route.path.strip("/").split("/"):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"/(?P<{part[1:-2]}>.+)"
            elif part.startswith("{") and part.endswith("}"):
                regex += f"/(?P<{part[1:-1]}>[^/]+)"
            elif part:
                regex += "/" + re.escape(part)
        return cls(route, re.compile(f"^{regex or '/'}$"))


def _missing_token() -> Response:
    return Response(
        json.dumps({"message": "Missing Authentication Token"}),
        status=403,
        content_type="application/json",
        headers={"x-amzn-ErrorType": "MissingAuthenticationTokenException"},
    )


def _bad_gateway() -> Response:
    return Response(
        json.dumps({"message": "Internal server error"}), status=502, content_type="application/json"
    )


class Gateway:
    """A WSGI application serving every API function of the template."""

    def __init__(self, stack: Stack) -> None:
        self.functions: dict[str, FunctionSpec] = stack.functions
        # literal segments before parameters, as API Gateway prefers the most specific resource
        self.routes = sorted(
            (CompiledRoute.of(r) for r in stack.routes), key=lambda c: c.route.path.count("{")
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = self.handle(Request(environ))
        return response(environ, start_response)

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        normalized = path.rstrip("/") or "/"
        for compiled in self.routes:
            found = compiled.pattern.match(normalized)
            if found and compiled.route.method in (method, "ANY"):
                return compiled, found.groupdict()
        return None

    def handle(self, request: Request) -> Response:
        matched = self.match(request.method, request.path)
        if matched is None:
            return _missing_token()
        compiled, params = matched
        event = proxy_event(request, compiled.route, params)
        started = time.perf_counter()
        try:
            result = invoke(self.functions[compiled.route.function], event)
        except Exception:  # a function error is API Gateway's 502, whatever it was
            log.exception("function %s raised", compiled.route.function)
            return _bad_gateway()
        response = proxy_to_response(result)
        log.info(
            "%s %s -> %s %s (%.0f ms)",
            request.method,
            request.path,
            compiled.route.function,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response


def proxy_event(request: Request, route: Route, path_params: dict[str, str]) -> dict[str, Any]:
    """The REST API (payload 1.0) proxy event API Gateway would send for this request."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = request.args
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
