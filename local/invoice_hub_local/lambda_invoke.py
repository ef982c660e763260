"""Lambda's `Invoke` of the template's functions, served beside moto on the local AWS endpoint.

Why: the functions that serve or send an invoice's document call the render function with the SDK's
`lambda.invoke` (docs/decisions/029-a-render-function.md), so the local stack must answer that call as
Lambda does. moto's own Invoke runs a function it was given the code of, in Docker; here the function runs
in this process by `lambda_runtime.invoke`, as the gateway and the queue pollers run the others. It is
served in the request's own thread, outside moto's one-request-at-a-time lock (aws.py): a function runs
for as long as it takes and may call AWS itself.

AWS behaviour kept (the Lambda API reference, Invoke):
- `POST /2015-03-31/functions/{FunctionName}/invocations`; the name, its ARN or a partial ARN
  (`123456789012:function:name`); `Qualifier` only `$LATEST` (no versions or aliases are published
  locally); an unknown function is left to moto, which answers `ResourceNotFoundException` (404);
- `X-Amz-Invocation-Type`: `RequestResponse` (the default) answers 200 with the handler's result as JSON
  and `X-Amz-Executed-Version: $LATEST`; `Event` answers 202 at once and runs the handler after;
  `DryRun` answers 204;
- a request body over 6 MB (6,291,456 bytes) answers 413 `RequestTooLargeException`; one that is not
  JSON answers 400 `InvalidRequestContentException`;
- a handler that raises answers 200 with `X-Amz-Function-Error: Unhandled` and the error as the Python
  runtime reports it (`errorMessage`, `errorType`, `requestId`, `stackTrace`); a result over 6 MB answers
  the same way with `Function.ResponseSizeTooLarge`.

Not kept: a function's timeout is not enforced, and there is no throttling or reserved concurrency.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote

from invoice_hub_local.lambda_runtime import invoke
from invoice_hub_local.template import FunctionSpec

log = logging.getLogger("invoice_hub_local.lambda_invoke")

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
#: the response limit as Lambda's error message states it
MAX_RESPONSE_BYTES = 6_291_556

Response = tuple[int, dict[str, str], bytes]


def function_name(identifier: str) -> str:
    """The function's name from its name, ARN or partial ARN."""
    parts = identifier.split(":")
    return parts[parts.index("function") + 1] if "function" in parts[:-1] else identifier


def _error(status: int, kind: str, message: str) -> Response:
    body = json.dumps({"Type": "User", "message": message}).encode()
    return status, {"x-amzn-ErrorType": kind, "Content-Type": "application/json"}, body


def _unhandled(kind: str, message: str, request_id: str, stack: list[str] | None = None) -> Response:
    error: dict[str, Any] = {"errorMessage": message, "errorType": kind, "requestId": request_id}
    if stack is not None:
        error["stackTrace"] = stack
    headers = {"Content-Type": "application/json", "X-Amz-Function-Error": "Unhandled"}
    return 200, {**headers, "X-Amz-Executed-Version": "$LATEST"}, json.dumps(error).encode()


def answer(spec: FunctionSpec, body: bytes, invocation_type: str) -> Response:
    """Lambda's answer to an Invoke of `spec` with `body`."""
    if len(body) > MAX_PAYLOAD_BYTES:
        return _error(
            413,
            "RequestTooLargeException",
            f"Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation",
        )
    try:
        event = json.loads(body) if body else {}
    except ValueError as error:
        message = f"Could not parse request body into json: {error}"
        return _error(400, "InvalidRequestContentException", message)
    if invocation_type == "DryRun":
        return 204, {"X-Amz-Executed-Version": "$LATEST"}, b""
    if invocation_type == "Event":
        threading.Thread(target=_run_logged, args=(spec, event), name=f"event-{spec.logical_id}").start()
        return 202, {}, b""
    request_id = str(uuid.uuid4())
    try:
        result = invoke(spec, event)
    except Exception as error:  # noqa: BLE001 - reported to the caller, as Lambda's runtime reports it
        frames = traceback.format_list(traceback.extract_tb(error.__traceback__))
        return _unhandled(type(error).__name__, str(error), request_id, frames)
    payload = json.dumps(result).encode()
    if len(payload) > MAX_RESPONSE_BYTES:
        return _unhandled(
            "Function.ResponseSizeTooLarge",
            f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
            request_id,
        )
    headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
    return 200, headers, payload


def _run_logged(spec: FunctionSpec, event: Any) -> None:
    try:
        invoke(spec, event)
    except Exception:  # an Event invocation's error goes nowhere but the log, as on Lambda
        log.exception("%s: the asynchronous invocation failed", spec.logical_id)


class LambdaInvocations:
    """WSGI: Invoke of a served function answered here, every other request passed to `app` (moto)."""

    def __init__(self, app: Any, before: Callable[[], None] = lambda: None) -> None:
        self.app = app
        self.before = before  # run in the request's thread before a function (aws.py: its tracer)
        self.functions: dict[str, FunctionSpec] = {}

    def serve(self, functions: Mapping[str, FunctionSpec]) -> None:
        """Serves Invoke of each function by its name (its physical name, as `!Ref` gives it)."""
        self.functions = dict(functions)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        match = INVOKE_PATH.match(environ.get("PATH_INFO", ""))
        spec = self.functions.get(function_name(unquote(match["name"]))) if match else None
        if spec is None or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        qualifier = parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", ["$LATEST"])[0]
        if qualifier != "$LATEST":
            status, headers, body = _error(
                404, "ResourceNotFoundException", f"Function not found: {spec.logical_id}:{qualifier}"
            )
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.before()
            status, headers, body = answer(
                spec,
                environ["wsgi.input"].read(length) if length else b"",
                environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse"),
            )
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [*headers.items(), ("Content-Length", str(len(body)))],
        )
        return [body]
