"""Every function has sample events in events/<function>/ (the same files `sam local invoke -e` takes),
and each is answered as its contract says, never with a 5xx, when Lambda would deliver it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from invoice_hub_local.lambda_runtime import invoke
from invoice_hub_local.stack import LocalStack
from tests.conftest import EVENTS, sign_in
from tests.integration.handlers import authorized

FUNCTIONS = sorted(path.parent.name for path in (EVENTS.parent / "functions").glob("*/app.py"))
SAMPLES = sorted(EVENTS.glob("*/*.json"))


def test_every_function_has_a_sample_event_and_every_sample_a_function() -> None:
    assert sorted({path.parent.name for path in SAMPLES}) == FUNCTIONS


@pytest.fixture(scope="module")
def admin_token(http: httpx.Client) -> str:
    return sign_in(http, "admin@invoice-hub.local", "AdminPass-123!")


def with_token(event: dict[str, Any], token: str) -> dict[str, Any]:
    """The samples carry a placeholder bearer token and its placeholder claims, which the token's own
    replace, as API Gateway's JWT authorizer hands them on; Decoda and eBillingHub samples use the demo
    keys."""
    text = json.dumps(event).replace("REPLACED-BY-TESTS", token)
    loaded: dict[str, Any] = json.loads(text)
    return authorized(loaded, token) if "authorizer" in loaded.get("requestContext", {}) else loaded


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_each_sample_event_is_answered_without_a_server_error(
    stack: LocalStack, admin_token: str, sample: Path
) -> None:
    spec = next(f for f in stack.stack.functions.values() if f.code_dir.name == sample.parent.name)
    event = with_token(json.loads(sample.read_text(encoding="utf-8")), admin_token)
    result = invoke(spec, event)
    if "Records" in event:  # SendQueue: a message naming no delivery is acknowledged
        assert result == {"batchItemFailures": []}
    elif event.get("source") == "aws.events":  # the schedule reports what it did
        assert set(result) == {"enqueued", "redriven", "skipped"}
    elif "reg_number" in event:  # the render function: the document's PDF
        assert base64.b64decode(result["pdf"]).startswith(b"%PDF-")
    else:
        assert result["statusCode"] < 500, result.get("body")
        assert result["statusCode"] not in (401, 403), result.get("body")
