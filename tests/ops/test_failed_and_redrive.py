"""The runbook through the ops command, against the local stack: an outage makes a send fail, `failed`
lists it, `redrive start` puts it back and moves the DLQ, `redrive watch` follows the move to its end,
and the invoice reaches the payer hub once."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import httpx
import pytest

from invoice_hub_local.seed import PAYER_HUB_TOKEN_PARAMETER
from invoice_hub_local.stack import LocalStack
from tests.conftest import invoice_body, sign_in
from tests.ops.conftest import Run
from tests.polling import wait_for
from tests.report import tried

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin_token(ops: Callable[..., Run], stack: LocalStack, http: httpx.Client, slug: str) -> str:
    """A tenant sending to the fake external systems, and an admin of it, both made by the ops command."""
    created = ops(
        "tenant", "create", "--slug", slug, "--name", "Ops Practice",
        "--external-url", stack.external.url, "--credential-parameter", PAYER_HUB_TOKEN_PARAMETER,
    )  # fmt: skip
    assert created.code == 0, created.err
    user = ops("user", "create", "--tenant", slug, "--email", f"{slug}@example.test", "--admin")
    assert user.code == 0, user.err
    return sign_in(http, f"{slug}@example.test", user.line("password (shown once").rsplit(" ", 1)[-1])


def delivered(stack: LocalStack, invoice_id: str) -> list[dict[str, Any]]:
    return [
        send
        for send in stack.external.received()["received"]
        if isinstance(send["body"], dict)
        and invoice_id in send["body"].get("invoice_ids", [])
        and send["delivered"]
        and not send["duplicate"]
    ]


@pytest.mark.usefixtures("own_redrive")
def test_a_failed_send_is_listed_redriven_and_watched_until_it_is_sent(
    ops: Callable[..., Run],
    stack: LocalStack,
    http: httpx.Client,
    slug: str,
    admin_token: str,
    outage: Callable[[str], object],
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    with stack.schedule_paused():  # the schedule would re-drive the transient failure on its own
        # given a payer hub that answers 503, an issued invoice's send fails and reaches the DLQ
        outage("fail")
        response = http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=headers)
        assert response.status_code == 201, response.text
        invoice_id = response.json()["id"]

        def listed() -> Run | None:
            run = ops("failed", "--tenant", slug)
            return run if invoice_id in run.out else None

        failed = wait_for(listed, "the send to fail and show in `ops failed`")
        row = failed.line(slug).split()
        assert row[2:6] == [invoice_id, "demo-payer-hub/EBILL", "5", "transient"]
        assert row[6:8] == ["unavailable:", "503"]
        assert "failed deliveries: 1 (tenant " in failed.out
        assert invoice_id in ops("failed").out  # every tenant's list includes it
        assert len(ops("failed", "--limit", "1").out.splitlines()) == 3  # header, one row, the count
        # the Healthbridge list agrees
        rows = http.get("/api/v1/billing/invoices/failed", headers=headers).json()
        assert [r["InvoiceId"] for r in rows] == [invoice_id]

        # when the outage is over and the operator re-drives
        outage("ok")
        started = ops("redrive", "start")
        assert started.code == 0, started.err
        put_back = int(re.search(r"(\d+) failed deliveries of \d+ tenants put back", started.out).group(1))  # type: ignore[union-attr]
        assert put_back >= 1
        assert "move task started" in started.out
        watched = ops("redrive", "watch", "--interval", "0.2", "--timeout", "60")

    # then the move completes, the DLQ is empty and the invoice reaches the payer hub once
    assert watched.code == 0, watched.err
    final = watched.out.splitlines()
    assert re.fullmatch(r"COMPLETED: moved (\d+)/\1", final[-2]), watched.out
    wait_for(lambda: delivered(stack, invoice_id), "the re-driven send")
    wait_for(
        lambda: "failed deliveries: 0" in ops("failed", "--tenant", slug).out, "the failed list to empty"
    )
    assert len(delivered(stack, invoice_id)) == 1
    status = ops("redrive", "status")
    assert status.code == 0
    assert "COMPLETED: moved" in status.out
    # (the DLQ is shared with every other test's sends, so its depth here is not this test's to judge)
    assert re.search(r"SendDLQ: \d+ messages visible, \d+ in flight", status.out), status.out
    today = time.strftime("%Y-%m-%d", time.gmtime())
    sent = http.get(f"/api/v1/billing/invoices/sent/sentDate/{today}", headers=headers)
    assert [r["InvoiceId"] for r in sent.json()] == [invoice_id]
    tried(
        "ops",
        f"outage → `failed` listed the send (5 attempts, 503) → `redrive start` put {put_back} back → "
        f"`redrive watch`: {final[-2]} → sent once",
    )


@pytest.mark.usefixtures("own_redrive")
def test_a_running_redrive_can_be_cancelled_and_started_again(
    ops: Callable[..., Run], stack: LocalStack, slug: str
) -> None:
    # given five messages in the DLQ (for deliveries that do not exist: the Sender lets them go) and a
    # move task at one message a second, as a careful operator might start from the console
    sqs = boto3.client("sqs")
    for _ in range(5):
        body = json.dumps({"tenant_id": str(uuid.uuid4()), "delivery_id": str(uuid.uuid4())})
        sqs.send_message(QueueUrl=stack.environment["SEND_DLQ_URL"], MessageBody=body)
    sqs.start_message_move_task(SourceArn=stack.environment["SEND_DLQ_ARN"], MaxNumberOfMessagesPerSecond=1)

    refused = ops("redrive", "start")
    assert refused.code == 1
    assert "a re-drive is already running (RUNNING: moved" in refused.error

    cancelled = ops("redrive", "cancel")
    assert cancelled.code == 0, cancelled.err
    assert "cancelling:" in cancelled.out
    watched = ops("redrive", "watch", "--interval", "0.1", "--timeout", "30")
    assert watched.code == 1  # the move did not complete
    stopped = re.search(r"CANCELLED: moved (\d+)/(\d+)", watched.out)
    assert stopped, watched.out
    moved, total = int(stopped.group(1)), int(stopped.group(2))
    assert moved < total, watched.out
    assert total >= 5, watched.out  # (other tests' failures may share the DLQ)
    assert ops("redrive", "cancel").error == "error: no re-drive is running"

    # when it is started again, what was left is moved
    again = ops("redrive", "start", "--watch", "--interval", "0.1", "--timeout", "30")
    assert again.code == 0, again.err
    assert re.search(r"COMPLETED: moved ([1-9]\d*)/\1", again.out), again.out
    tried(
        "ops",
        "redrive: refused while one runs, cancelled mid-move (CANCELLED, exit 1), restarted to COMPLETED",
    )
