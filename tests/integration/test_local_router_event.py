"""Each local invocation's route reads its own request, however many run at once.

Powertools' `resolve` keeps the event in a class attribute every resolver of the process reads
(`BaseRouter.current_event`); on Lambda a process serves one invocation at a time, here every function
shares one process (lambda_runtime's docstring has the cause and the fix). Without the fix, a route that
read the event after another request had started answered that other request's body to its own client:
the idempotency suite saw two bodies racing for one key both answered 201.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from invoice_hub_local.lambda_runtime import LambdaContext, handler_of
from invoice_hub_local.template import FunctionSpec
from tests.conftest import function_from_source

CONCURRENT = 4
#: a route that reads the request only after every concurrent invocation has started its own
FUNCTION = """
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()


@app.post("/echo")
def echo():
    app.context["started"].wait()
    return {"body": app.current_event.json_body, "request": app.lambda_context.aws_request_id}


def lambda_handler(event, context):
    app.append_context(started=context.started)  # one barrier for every container (each has its module)
    return app.resolve(event, context)
"""


def function(tmp_path: Path, name: str) -> FunctionSpec:
    return function_from_source(tmp_path, name, FUNCTION)


def event(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "httpMethod": "POST",
        "path": "/echo",
        "resource": "/echo",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"httpMethod": "POST", "path": "/echo", "resourcePath": "/echo", "stage": "local"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def test_concurrent_invocations_each_read_their_own_event_and_context(tmp_path: Path) -> None:
    # given one function invoked by four requests at once, each with a body and a request id of its own
    handler = handler_of(function(tmp_path, "EchoFunction"))
    contexts = [LambdaContext(function_name="EchoFunction", timeout_seconds=10) for _ in range(CONCURRENT)]
    started = threading.Barrier(CONCURRENT, timeout=10)
    for context in contexts:
        context.started = started  # type: ignore[attr-defined]
    bodies = [{"n": n} for n in range(CONCURRENT)]

    # when their routes read the request after all four have started
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(lambda n: handler(event(bodies[n]), contexts[n]), range(CONCURRENT)))

    # then each answered its own body, in its own invocation
    assert [a["statusCode"] for a in answers] == [200] * CONCURRENT
    read = [json.loads(a["body"]) for a in answers]
    assert [r["body"] for r in read] == bodies
    assert [r["request"] for r in read] == [c.aws_request_id for c in contexts]
