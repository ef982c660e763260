"""Every log line of a local invocation carries that invocation's function, request id and cold start.

All functions run in one process locally and share the layer's Powertools Logger; on Lambda each
container is a process of its own. These tests run functions concurrently and check each line against
the invocation that wrote it (see lambda_runtime's docstring for the cause and the fix).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from invoice_hub_local.lambda_runtime import LambdaContext, handler_of
from invoice_hub_local.stack import LocalStack
from invoice_hub_local.template import FunctionSpec
from tests.conftest import Practice, function_from_source

ROUNDS = 40
#: a function that writes lines from its handler's thread and from a thread pool, as the Sender does; each
#: line names its writer itself, so that the logger's own keys can be checked against it
FUNCTION = """
import time
from concurrent.futures import ThreadPoolExecutor

from invoice_hub.observability import logger


def line(context, n):
    time.sleep(0.0005)  # lets the other function's invocations start in between
    logger.info("line", extra={"writer": context.function_name, "writer_request_id": context.aws_request_id})


@logger.inject_lambda_context
def lambda_handler(event, context):
    for n in range(3):
        line(context, n)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda n: line(context, n), range(4)))
    return {"ok": True}
"""
LINES_PER_INVOCATION = 7


class Captured(logging.Handler):
    """Each line of the layer's logger as the Lambda log would hold it: formatted when it is written."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def captured(stack: LocalStack) -> Iterator[Captured]:
    # imported once the stack has set the functions' environment: the layer's Logger reads it (as on Lambda)
    from invoice_hub.observability import logger

    handler = Captured(logger.registered_formatter)
    layer_logger = logging.getLogger(logger.name)
    layer_logger.addHandler(handler)
    level = layer_logger.level
    layer_logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        layer_logger.removeHandler(handler)
        layer_logger.setLevel(level)


def function(tmp_path: Path, name: str) -> FunctionSpec:
    return function_from_source(tmp_path, name, FUNCTION)


def test_concurrent_functions_each_log_under_their_own_name_request_and_cold_start(
    tmp_path: Path, captured: Captured
) -> None:
    # given two functions of the one layer, each invoked over and over from a thread of its own
    specs = [function(tmp_path, "AlphaFunction"), function(tmp_path, "BetaFunction")]
    request_ids: dict[str, list[str]] = {spec.logical_id: [] for spec in specs}
    start = threading.Barrier(len(specs))

    def invoke_many(spec: FunctionSpec) -> None:
        handler = handler_of(spec)
        start.wait()
        for _ in range(ROUNDS):
            context = LambdaContext(function_name=spec.logical_id, timeout_seconds=spec.timeout)
            request_ids[spec.logical_id].append(context.aws_request_id)
            handler({}, context)

    # when they run at the same time
    with ThreadPoolExecutor(max_workers=len(specs)) as pool:
        list(pool.map(invoke_many, specs))

    # then every line, from the handler's thread or the function's own pool, is its invocation's
    lines = [line for line in captured.lines if line.get("message") == "line"]
    assert len(lines) == len(specs) * ROUNDS * LINES_PER_INVOCATION
    wrong_function = [line for line in lines if line.get("function_name") != line["writer"]]
    wrong_request = [line for line in lines if line.get("function_request_id") != line["writer_request_id"]]
    assert (len(wrong_function), len(wrong_request)) == (0, 0), (wrong_function[:3], wrong_request[:3])
    # and each function's container was cold on its first invocation only
    for spec in specs:
        cold = {
            line["writer_request_id"]
            for line in lines
            if line["writer"] == spec.logical_id and line["cold_start"]
        }
        assert cold == {request_ids[spec.logical_id][0]}, spec.logical_id


@pytest.mark.e2e
def test_concurrent_requests_of_two_template_functions_log_under_their_own_function(
    http: httpx.Client, captured: Captured, practice: Practice
) -> None:
    # given two API functions of the template: the invoice list with a good token (a bad one would be
    # refused by the gateway's JWT authorizer, before the function logs), Decoda's get with a bad key
    # (its 401, after its request line)
    routes = {"InvoiceListFunction": "/invoice", "DecodaGetFunction": "/billing/invoice/abc"}
    resources = {"InvoiceListFunction": "/invoice", "DecodaGetFunction": "/billing/invoice/{id}"}
    headers = {"InvoiceListFunction": practice.headers, "DecodaGetFunction": {"Authorization": "Bearer nope"}}

    def call(function_name: str) -> int:
        return http.get(routes[function_name], headers=headers[function_name]).status_code

    # when they are requested concurrently through the gateway
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(call, [name for _ in range(ROUNDS) for name in routes]))

    # then each request line carries the function its resource belongs to
    assert set(statuses) <= {200, 400, 401, 403}, statuses
    by_resource = {resource: name for name, resource in resources.items()}
    lines = [
        line
        for line in captured.lines
        if line.get("message") == "request" and line.get("resource") in by_resource  # not the sign-in's
    ]
    assert len(lines) == 2 * ROUNDS
    wrong = [line for line in lines if line.get("function_name") != by_resource[line["resource"]]]
    assert wrong == [], wrong[:3]
