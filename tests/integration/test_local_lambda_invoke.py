"""Lambda's Invoke on the local AWS endpoint (lambda_invoke.py), through the SDK as a function calls it: the
render function renders, and the answers a caller can tell apart are Lambda's (status, error codes, the
function error and its payload, the payload limits, the invocation types)."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from invoice_hub.connectors.render_function import payload
from invoice_hub_local import lambda_invoke
from invoice_hub_local.provision import ACCOUNT, REGION
from invoice_hub_local.stack import LocalStack
from tests.conftest import function_from_source
from tests.unit.test_pdf import document

#: set by the function the Event invocation runs (it runs in this process, after the answer)
RAN = threading.Event()


@pytest.fixture(scope="module")
def lambda_client(stack: LocalStack) -> Any:
    config = Config(retries={"max_attempts": 1}, read_timeout=30)
    return boto3.client("lambda", endpoint_url=stack.aws_endpoint, region_name=REGION, config=config)


@pytest.fixture
def served(stack: LocalStack, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Serves a function of the test's own source for the test; gives its name."""
    names: list[str] = []

    def serve(source: str) -> str:
        unique = uuid.uuid4().hex[:8]
        name = f"test-{unique}"  # a logical id of its own: the local runtime keeps a container per id
        stack.invocations.functions[name] = function_from_source(tmp_path, f"Served{unique}", source)
        names.append(name)
        return name

    yield serve
    for name in names:
        del stack.invocations.functions[name]


def error_code(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = error.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_the_render_function_renders_by_its_name_and_its_arn(stack: LocalStack, lambda_client: Any) -> None:
    name = stack.resolved.refs["RenderFunction"]
    arn = stack.resolved.attrs[("RenderFunction", "Arn")]
    assert arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    pdfs = []
    for identifier in (name, arn, f"{ACCOUNT}:function:{name}"):
        answered = lambda_client.invoke(FunctionName=identifier, Payload=json.dumps(payload(document())))
        assert answered["StatusCode"] == 200
        assert answered["ExecutedVersion"] == "$LATEST"
        assert "FunctionError" not in answered
        pdfs.append(base64.b64decode(json.loads(answered["Payload"].read())["pdf"]))
    assert pdfs[0].startswith(b"%PDF-")
    assert pdfs[0] == pdfs[1] == pdfs[2]  # rendered in reportlab's invariant mode: the same bytes


def test_a_render_that_fails_is_a_function_error_naming_its_type_only(
    stack: LocalStack, lambda_client: Any
) -> None:
    event = payload(document())
    event["total"] = "Zoë"
    answered = lambda_client.invoke(
        FunctionName=stack.resolved.refs["RenderFunction"], Payload=json.dumps(event)
    )
    assert answered["StatusCode"] == 200
    assert answered["FunctionError"] == "Unhandled"
    error = json.loads(answered["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("RenderFailed", "InvalidOperation")
    assert error["requestId"]
    assert any("render" in frame for frame in error["stackTrace"])


def test_an_unknown_function_or_version_is_not_found(stack: LocalStack, lambda_client: Any) -> None:
    with pytest.raises(ClientError) as unknown:
        lambda_client.invoke(FunctionName="no-such-function", Payload=b"{}")
    assert error_code(unknown) == (404, "ResourceNotFoundException")
    with pytest.raises(ClientError) as version:
        lambda_client.invoke(FunctionName=stack.resolved.refs["RenderFunction"], Qualifier="7", Payload=b"{}")
    assert error_code(version) == (404, "ResourceNotFoundException")


def test_a_payload_over_6_mb_or_not_json_is_refused(lambda_client: Any, served: Callable[[str], str]) -> None:
    name = served("def lambda_handler(event, context):\n    return len(event['x'])\n")
    assert (
        json.loads(
            lambda_client.invoke(FunctionName=name, Payload=json.dumps({"x": "a" * 10}))["Payload"].read()
        )
        == 10
    )
    with pytest.raises(ClientError) as large:
        lambda_client.invoke(FunctionName=name, Payload=json.dumps({"x": "a" * (6 * 1024 * 1024)}))
    assert error_code(large) == (413, "RequestTooLargeException")
    with pytest.raises(ClientError) as not_json:
        lambda_client.invoke(FunctionName=name, Payload=b"{not json")
    assert error_code(not_json) == (400, "InvalidRequestContentException")


def test_an_answer_over_6_mb_is_a_function_error(lambda_client: Any, served: Callable[[str], str]) -> None:
    name = served("def lambda_handler(event, context):\n    return 'a' * event['size']\n")
    fits = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"size": 6_000_000}))
    assert "FunctionError" not in fits
    assert len(fits["Payload"].read()) == 6_000_002  # the string as JSON: its quotes
    over = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"size": 6_291_556}))
    assert over["FunctionError"] == "Unhandled"
    assert json.loads(over["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"


def test_a_handler_error_is_reported_as_the_python_runtime_reports_it(
    lambda_client: Any, served: Callable[[str], str]
) -> None:
    name = served("def lambda_handler(event, context):\n    raise KeyError('missing')\n")
    answered = lambda_client.invoke(FunctionName=name, Payload=b"{}")
    assert (answered["StatusCode"], answered["FunctionError"]) == (200, "Unhandled")
    error = json.loads(answered["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'missing'")
    assert "raise KeyError('missing')" in "".join(error["stackTrace"])


def test_dry_run_and_event_invocations(lambda_client: Any, served: Callable[[str], str]) -> None:
    RAN.clear()
    source = f"import sys\ndef lambda_handler(event, context):\n    sys.modules[{__name__!r}].RAN.set()\n"
    name = served(source)
    assert lambda_client.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    assert not RAN.is_set()
    assert lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert RAN.wait(timeout=30)


def test_the_function_name_of_each_identifier() -> None:
    assert lambda_invoke.function_name("render") == "render"
    assert lambda_invoke.function_name("arn:aws:lambda:us-east-1:123456789012:function:render") == "render"
    assert (
        lambda_invoke.function_name("arn:aws:lambda:us-east-1:123456789012:function:render:$LATEST")
        == "render"
    )
    assert lambda_invoke.function_name("123456789012:function:render") == "render"
