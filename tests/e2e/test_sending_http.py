"""Sending, end to end over HTTP: issued invoices reach the external systems exactly once, failures show
in Healthbridge's failed list, and a re-drive (API or console) recovers them with nothing sent twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import boto3
import httpx
import pytest

from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body, sends_queued
from tests.polling import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice(admin=True)


def start_move_task(stack: LocalStack, **options: Any) -> None:
    """A DLQ re-drive as the console starts it: a plain StartMessageMoveTask, no API call (the test's
    `own_redrive` has waited for any other test's to end)."""
    boto3.client("sqs").start_message_move_task(SourceArn=stack.environment["SEND_DLQ_ARN"], **options)


def sends_for(stack: LocalStack, invoice_id: str) -> list[dict[str, Any]]:
    return [
        send
        for send in stack.external.received()["received"]
        if isinstance(send["body"], dict) and invoice_id in send["body"].get("invoice_ids", [])
    ]


def delivered(stack: LocalStack, invoice_id: str) -> list[dict[str, Any]]:
    return [send for send in sends_for(stack, invoice_id) if send["delivered"] and not send["duplicate"]]


def issue(http: httpx.Client, practice: Practice) -> str:
    response = http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=practice.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def failed_list(http: httpx.Client, admin: Practice, accept: str = "application/json") -> httpx.Response:
    return http.get("/api/v1/billing/invoices/failed", headers={**admin.headers, "Accept": accept})


def test_an_issued_invoice_reaches_the_payer_hub_once(
    stack: LocalStack, http: httpx.Client, admin: Practice
) -> None:
    invoice_id = issue(http, admin)
    sends = wait_for(lambda: delivered(stack, invoice_id), what="the payer hub to receive the invoice")
    assert len(sends) == 1
    assert sends[0]["path"] == f"/payer-hub/{admin.tenant.slug}"
    assert sends[0]["body"]["method"] == "EBILL"
    assert sends[0]["idempotency_key"] == sends[0]["body"]["delivery_id"]
    assert sends[0]["authorization"] == "Bearer"  # the hub's token, read from SSM (SecureString)
    assert failed_list(http, admin).json() == []


@pytest.mark.usefixtures("own_redrive")
def test_an_outage_shows_in_the_failed_list_and_retry_all_sends_once(
    stack: LocalStack, http: httpx.Client, admin: Practice, outage: Callable[[str], None]
) -> None:
    outage("fail")
    invoice_id = issue(http, admin)

    def failed() -> list[dict[str, Any]]:
        return [row for row in failed_list(http, admin).json() if row["InvoiceId"] == invoice_id]

    rows = wait_for(failed, what="the send to fail and reach the DLQ")
    assert rows[0]["Status"] == "FAILED"
    assert rows[0]["SendingAttempts"] == 5  # every receive up to maxReceiveCount
    assert rows[0]["Reason"].startswith("unavailable: 503")
    assert rows[0]["PracticeId"] == str(admin.tenant.id)
    assert rows[0]["System"] == "demo-payer-hub"
    assert rows[0]["SendingType"] == "EBILL"
    assert not delivered(stack, invoice_id)

    outage("ok")
    retried = http.post("/api/v1/billing/invoices/retryallfailed", headers=admin.headers)
    assert retried.status_code == 200, retried.text
    result = retried.json()
    assert list(result) == ["Sucess", "ResponseCode", "ResponseMessage", "Data", "Links"]
    assert result["Sucess"] is True
    assert invoice_id in [row["InvoiceId"] for row in result["Data"]]

    wait_for(lambda: delivered(stack, invoice_id), what="the re-driven send")
    wait_for(lambda: not failed(), what="the failed list to empty")
    wait_for(lambda: not sends_queued(stack, admin.tenant.id), what="any duplicate message to be handled")
    assert len(delivered(stack, invoice_id)) == 1


def test_a_permanent_rejection_fails_at_once(
    stack: LocalStack, http: httpx.Client, admin: Practice, outage: Callable[[str], None]
) -> None:
    outage("reject")
    invoice_id = issue(http, admin)
    rows = wait_for(
        lambda: [r for r in failed_list(http, admin).json() if r["InvoiceId"] == invoice_id],
        what="the rejection",
    )
    assert rows[0]["SendingAttempts"] == 1
    assert rows[0]["Reason"].startswith("rejected: 400")


@pytest.mark.usefixtures("own_redrive")
def test_a_console_redrive_ends_like_retry_all(
    stack: LocalStack, http: httpx.Client, admin: Practice, outage: Callable[[str], None]
) -> None:
    outage("reject")
    invoice_id = issue(http, admin)
    wait_for(
        lambda: [r for r in failed_list(http, admin).json() if r["InvoiceId"] == invoice_id], what="failure"
    )
    outage("ok")
    start_move_task(stack)
    wait_for(lambda: delivered(stack, invoice_id), what="the console re-drive to send it")
    wait_for(
        lambda: not [r for r in failed_list(http, admin).json() if r["InvoiceId"] == invoice_id],
        what="the failed list to empty",
    )
    assert len(delivered(stack, invoice_id)) == 1


def test_failed_list_speaks_xml_and_refuses_other_media(http: httpx.Client, admin: Practice) -> None:
    xml = failed_list(http, admin, "application/xml")
    assert xml.status_code == 200
    assert xml.headers["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(xml.text)
    assert root.tag.endswith("ArrayOfInvoiceSendingStatusVo")
    assert failed_list(http, admin, "text/json").headers["Content-Type"].startswith("text/json")
    refused = failed_list(http, admin, "text/html")
    assert refused.status_code == 406
    assert "Message" in refused.json()


def test_healthbridge_routes_need_an_admin(http: httpx.Client, practice: Practice) -> None:
    for method, url in [
        ("GET", "/api/v1/billing/invoices/failed"),
        ("POST", "/api/v1/billing/invoices/retryallfailed"),
    ]:
        assert http.request(method, url, headers=practice.headers).status_code == 403
        anonymous = http.request(method, url)
        assert anonymous.status_code == 401
        assert anonymous.json() == {"message": "Unauthorized"}  # API Gateway's, before the function


@pytest.mark.usefixtures("own_redrive")
def test_retry_all_while_a_move_task_runs_says_so(
    http: httpx.Client, admin: Practice, stack: LocalStack
) -> None:
    sqs = boto3.client("sqs")
    for _ in range(3):  # something to move, slowly
        body = json.dumps({"tenant_id": str(uuid.uuid4()), "delivery_id": str(uuid.uuid4())})
        sqs.send_message(QueueUrl=stack.environment["SEND_DLQ_URL"], MessageBody=body)
    start_move_task(stack, MaxNumberOfMessagesPerSecond=1)
    result = http.post("/api/v1/billing/invoices/retryallfailed", headers=admin.headers).json()
    assert "already running" in result["ResponseMessage"]
