"""retryallfailed's answer when its bounded work (decision 006) leaves failed sends for the next call."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from invoice_hub.logic.redrive import retry_all_failed
from invoice_hub_local.lambda_runtime import invoke, load_module
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, load_event
from tests.faults.test_send_metrics import failed_delivery
from tests.integration.handlers import authed


def test_a_call_that_leaves_failed_sends_says_so_and_links_the_next_call(
    stack: LocalStack, new_practice: Callable[..., Practice], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = stack.stack.functions["HealthbridgeRetryAllFailedFunction"]
    # given a bound of two deliveries per call (1,000 in the function) and three failed sends
    monkeypatch.setattr(load_module(spec), "retry_all_failed", functools.partial(retry_all_failed, limit=2))
    practice = new_practice(admin=True)
    with stack.schedule_paused():  # the schedule would re-drive them on its own
        failed = {str(failed_delivery(practice, timedelta(seconds=1)).invoice_id) for _ in range(3)}

        # when retry-all is called, then it puts two back and tells the client to call again
        first = invoke(spec, authed(load_event("healthbridge_retry_all_failed", "retry"), practice))
        assert first["statusCode"] == 200, first.get("body")
        answer = json.loads(first["body"])
        assert len(answer["Data"]) == 2
        assert "call retryallfailed again" in answer["ResponseMessage"]
        assert {"Rel": "next", "HRef": "/api/v1/billing/invoices/retryallfailed"} in answer["Links"]

        # when it is called again, then it takes the last one and links no further call
        second = invoke(spec, authed(load_event("healthbridge_retry_all_failed", "retry"), practice))
        assert second["statusCode"] == 200, second.get("body")
        answer_2 = json.loads(second["body"])
        assert len(answer_2["Data"]) == 1
        assert "again" not in answer_2["ResponseMessage"]
        assert all(link["Rel"] != "next" for link in answer_2["Links"])
    taken = {vo["InvoiceId"] for vo in answer["Data"]} | {vo["InvoiceId"] for vo in answer_2["Data"]}
    assert taken == failed
