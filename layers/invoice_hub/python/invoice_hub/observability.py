"""Logger of every function. Events and bodies are never logged: they carry patient data.

What does reach the logs is kept free of it by construction:
- every API invocation ends with one line — method, the route's template path (`/invoice/{id}`, never
  the request's path or query), status and duration — under the request's correlation id, so a
  request can be followed without its content;
- an exception is logged with its traceback and type, never its message: messages quote input (a
  pydantic error prints the rejected value, a stored item's parse error prints the item);
- the libraries' own debug output (the SDK prints every request's parameters, i.e. the DynamoDB items)
  is held at WARNING whatever the application log level, so `LogLevel=DEBUG` or Lambda's advanced
  logging controls at DEBUG do not turn it on.
"""

from __future__ import annotations

import functools
import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

#: libraries whose DEBUG/INFO output carries request or response content
QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer", "aws_lambda_powertools")


def withheld_traceback(exc_info: Any) -> str:
    """A traceback as Python prints it (causes first), each exception's message withheld."""
    chain: list[BaseException] = []
    current: BaseException | None = exc_info[1]
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = [
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_tb(error.__traceback__))
        + f"{type(error).__module__}.{type(error).__qualname__}: (message withheld)"
        for error in reversed(chain)
    ]
    return "\n\nwhich led to:\n\n".join(parts)


class WithheldMessageFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, with exception messages withheld (`exception_name` still names the type)."""

    def formatException(self, ei: Any) -> str:
        return withheld_traceback(ei)

    def _serialize_stacktrace(self, log_record: logging.LogRecord) -> Any:
        """The structured `stack_trace` keeps its frames; its `value` (the message) is withheld."""
        serialized = super()._serialize_stacktrace(log_record)
        if serialized:
            serialized["value"] = "(message withheld)"
        return serialized


class ServiceLogger(Logger):
    """Powertools' Logger whose `inject_lambda_context` also writes the request line of API events."""

    def inject_lambda_context(self, lambda_handler: Any = None, *args: Any, **kwargs: Any) -> Any:
        if lambda_handler is not None:
            lambda_handler = _with_request_line(self, lambda_handler)
        return super().inject_lambda_context(lambda_handler, *args, **kwargs)


def _with_request_line(log: Logger, handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def handle(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = handler(event, context, *args, **kwargs)
        if isinstance(event, dict) and "httpMethod" in event and isinstance(response, dict):
            log.info(
                "request",
                extra={
                    "http_method": str(event.get("httpMethod")),
                    "resource": str(event.get("resource")),
                    "status_code": response.get("statusCode"),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response

    return handle


def quiet_libraries() -> None:
    for name in QUIET_LIBRARIES:
        library = logging.getLogger(name)
        if library.level < logging.WARNING:  # NOTSET included: it would follow the root logger down
            library.setLevel(logging.WARNING)


quiet_libraries()
logger = ServiceLogger(logger_formatter=WithheldMessageFormatter())
