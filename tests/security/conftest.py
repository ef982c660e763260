"""Fixtures of the reliability and security suites: every log line the functions write, every message
they put on SQS, and helpers shared by the suites.

The local stack runs the functions in threads of this process (gateway request threads, queue pollers,
the Sender's pool), so their logs are records of this process's `logging`: the Powertools Logger of the
layer (the lines CloudWatch shows, formatted by its own JSON formatter) and the libraries' loggers (what
Lambda's root handler would show). The test's own thread and the emulation of AWS (moto, werkzeug,
the local pollers and fakes) are not the functions and are left out.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import Practice

#: loggers of the local emulation of AWS, not of the functions (the gateway's is kept: it stands for
#: Lambda's runtime, which logs a handler's uncaught exception in the function's log)
EMULATION = ("moto", "werkzeug", "invoice_hub_local", "tests", "hypothesis", "filelock", "asyncio")


def _from_a_function(record: logging.LogRecord) -> bool:
    if record.thread == threading.main_thread().ident:  # the test itself (its HTTP client, its asserts)
        return False
    if record.name.startswith("invoice_hub_local.gateway"):
        return True
    return not record.name.startswith(EMULATION)


class FunctionLogs(logging.Handler):
    """Collects the functions' log lines as they would reach CloudWatch (exceptions included)."""

    def __init__(self, service: logging.Logger, formatter: logging.Formatter) -> None:
        super().__init__(level=logging.DEBUG)
        self.service = service
        self.formatter_of_service = formatter
        self.lines: list[str] = []
        self._plain = logging.Formatter("%(levelname)s %(name)s %(message)s")
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if not _from_a_function(record):
            return
        if record.name == self.service.name:
            text = self.formatter_of_service.format(record)
        else:
            text = self._plain.format(record)
        with self._lock_lines:
            self.lines.append(text)

    def text(self) -> str:
        with self._lock_lines:
            return "\n".join(self.lines)

    def service_lines(self) -> list[dict[str, Any]]:
        """The Powertools Logger's JSON lines, parsed."""
        with self._lock_lines:
            lines = list(self.lines)
        parsed = []
        for line in lines:
            if line.startswith("{"):
                try:
                    parsed.append(json.loads(line))
                except ValueError:
                    continue
        return parsed

    def clear(self) -> None:
        with self._lock_lines:
            self.lines.clear()


@pytest.fixture
def function_logs() -> Iterator[FunctionLogs]:
    """Every log line of the functions during the test, at DEBUG: the service's Logger as with
    POWERTOOLS_LOG_LEVEL=DEBUG, the root logger as with Lambda's application log level DEBUG."""
    # imported here, not at collection: the layer's Logger reads POWERTOOLS_* when first imported, which
    # must be after the local stack has set the functions' environment, as in Lambda
    from invoice_hub.observability import logger as service_logger

    service = logging.getLogger(service_logger.name)
    capture = FunctionLogs(service, service_logger.registered_formatter)
    root = logging.getLogger()
    levels = (root.level, service.level)
    root.addHandler(capture)
    if not service.propagate:
        service.addHandler(capture)
    root.setLevel(logging.DEBUG)
    service_logger.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        service.removeHandler(capture)
        root.setLevel(levels[0])
        service.setLevel(levels[1])


@dataclass
class SqsMessages:
    """Every SQS message the functions send (bodies and attributes), as the SDK is asked to send it."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def record(self, params: dict[str, Any], **_: Any) -> None:
        entries = params.get("Entries") or [params]
        for entry in entries:
            if "MessageBody" in entry:
                self.sent.append(
                    {
                        "body": entry["MessageBody"],
                        "attributes": entry.get("MessageAttributes") or {},
                        "system_attributes": entry.get("MessageSystemAttributes") or {},
                    }
                )


@pytest.fixture
def sqs_messages() -> Iterator[SqsMessages]:
    """Records what the functions' SQS client sends (one client per container: the layer's)."""
    from invoice_hub.dal.queue_client import sqs_client

    recorder = SqsMessages()
    events = sqs_client().meta.events
    for operation in ("SendMessage", "SendMessageBatch"):
        events.register(
            f"provide-client-params.sqs.{operation}", recorder.record, unique_id=f"sec-{operation}"
        )
    try:
        yield recorder
    finally:
        for operation in ("SendMessage", "SendMessageBatch"):
            events.unregister(f"provide-client-params.sqs.{operation}", unique_id=f"sec-{operation}")


@pytest.fixture
def admin(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice(admin=True)


def at_once(requests: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Sends every request at the same moment, each from a thread of its own; answers in order."""
    start = threading.Barrier(len(requests))

    def send(request: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait()
        return request()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))
