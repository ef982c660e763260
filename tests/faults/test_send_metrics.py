"""The sending metrics the dashboard reads: `Sends`, `SendFailures` and `Redrives`, Counts in the InvoiceHub
namespace with the dimension service=invoice-hub, written by Powertools as EMF on stdout once per
invocation of the Sender, the schedule and (wrapped as the facade will be) retry-all.

The stack's SendQueue pollers and schedule are paused (`quiet_stack`), so the only metrics written while a
test runs are those of the invocations it makes.
"""

from __future__ import annotations

import json
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from invoice_hub import metrics
from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.dal.queue_client import DeliveryRef
from invoice_hub.domain.delivery import Delivery
from invoice_hub.entry import schedule as schedule_entry
from invoice_hub.entry.send_consumer import lambda_handler as sender_handler
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.outbox import new_delivery
from invoice_hub_local.lambda_runtime import LambdaContext, invoke
from invoice_hub_local.provision import REGION
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, load_event
from tests.integration.handlers import authorized
from tests.report import tried

NAMES = {"Sends", "SendFailures", "Redrives"}


def emf_records(output: str) -> list[dict[str, Any]]:
    """The EMF records among captured stdout lines (the logger's JSON lines are the others)."""
    found = []
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "_aws" in record:
            found.append(record)
    return found


def values(record: dict[str, Any]) -> dict[str, float]:
    """{metric name: value} of one EMF record, after checking its namespace, dimension and units."""
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "InvoiceHub"
    assert directive["Dimensions"] == [["service"]]
    assert record["service"] == "invoice-hub"
    names = {metric["Name"] for metric in directive["Metrics"]}
    assert names <= NAMES
    assert all(metric["Unit"] == "Count" for metric in directive["Metrics"])
    return {name: sum(record[name]) if isinstance(record[name], list) else record[name] for name in names}


def pending_delivery(practice: Practice, now: datetime) -> Delivery:
    destination = practice.tenant.destinations[0]
    return new_delivery(
        tenant_id=practice.tenant.id,
        destination=destination,
        method=destination.method,
        now=now,
        stuck_after=timedelta(seconds=get_settings().stuck_after_seconds),
        invoice_ids=(uuid.uuid4(),),
        amount_cents=1500,
    )


def failed_delivery(practice: Practice, ago: timedelta) -> Delivery:
    """A delivery that failed transiently `ago`, with its automatic re-drive due."""
    repo = delivery_repository(get_settings())
    then = datetime.now(UTC) - ago
    delivery = pending_delivery(practice, then)
    repo.create([delivery])
    failed = states.failed(delivery, then, "unavailable: 503", False, then + timedelta(days=14))
    repo.save(failed)
    return failed


class SenderInvocations:
    """The Sender's handler invoked the way the event source mapping does, with real SendQueue messages."""

    def __init__(self, stack: LocalStack) -> None:
        self.sqs: Any = boto3.client("sqs", endpoint_url=stack.aws_endpoint, region_name=REGION)
        self.url = stack.environment["SEND_QUEUE_URL"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def invoke(self, *deliveries: Delivery) -> dict[str, Any]:
        ids = {
            self.sqs.send_message(QueueUrl=self.url, MessageBody=DeliveryRef(d.tenant_id, d.id).body())[
                "MessageId"
            ]
            for d in deliveries
        }
        records: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while len(records) < len(ids):
            assert time.monotonic() < deadline, "the test's own messages did not arrive"
            for message in self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", []):
                if message["MessageId"] not in ids:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                    continue
                records.append(
                    {
                        "messageId": message["MessageId"],
                        "receiptHandle": message["ReceiptHandle"],
                        "body": message["Body"],
                        "attributes": {k: str(v) for k, v in message["Attributes"].items()},
                        "messageAttributes": {},
                        "md5OfBody": message["MD5OfBody"],
                        "eventSource": "aws:sqs",
                        "eventSourceARN": self.arn,
                        "awsRegion": REGION,
                    }
                )
        context: Any = LambdaContext(function_name="SenderFunction", timeout_seconds=30)
        response: dict[str, Any] = sender_handler({"Records": records}, context)
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures") or []}
        for record in records:
            if record["messageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=record["receiptHandle"])
        return response


def test_the_sender_writes_sends_failures_and_console_redrives_once_per_invocation(
    quiet_stack: LocalStack,
    new_practice: Callable[..., Practice],
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack = quiet_stack
    practice = new_practice()
    repo = delivery_repository(get_settings())
    sender = SenderInvocations(stack)
    capsys.readouterr()
    try:
        # given two deliveries sent in one invocation
        first, second = (pending_delivery(practice, datetime.now(UTC)) for _ in range(2))
        repo.create([first, second])
        sender.invoke(first, second)
        [sent] = emf_records(capsys.readouterr().out)
        assert values(sent) == {"Sends": 2}

        # given a rejection and, in another invocation, a transient failure
        stack.external.control("reject")
        rejected = pending_delivery(practice, datetime.now(UTC))
        repo.create([rejected])
        sender.invoke(rejected)
        [refused] = emf_records(capsys.readouterr().out)
        stack.external.control("fail")
        transient = pending_delivery(practice, datetime.now(UTC))
        repo.create([transient])
        response = sender.invoke(transient)
        assert len(response["batchItemFailures"]) == 1
        [unavailable] = emf_records(capsys.readouterr().out)
        assert values(refused) == values(unavailable) == {"SendFailures": 1}
        stack.external.control("ok")

        # given a FAILED delivery whose DLQ message the console moved back: a re-drive and a send
        redriven = failed_delivery(practice, timedelta(seconds=1))
        sender.invoke(redriven)
        [console] = emf_records(capsys.readouterr().out)
        assert values(console) == {"Redrives": 1, "Sends": 1}

        # and an invocation that counted nothing writes nothing, and warns nothing
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sender.invoke(first)  # already SENT: acknowledged without a send
        assert emf_records(capsys.readouterr().out) == []
        assert [str(w.message) for w in caught if "metric" in str(w.message).lower()] == []
        assert metrics.counted() == {}
    finally:
        stack.external.control("ok")
    tried(
        "faults",
        "metrics: Sender invocations wrote Sends 2 | SendFailures 1 (rejected) | SendFailures 1 (503) | "
        "Redrives 1 + Sends 1 (console re-drive) | nothing for a skipped duplicate, each one EMF record",
    )


def test_the_schedule_and_retry_all_write_their_redrives(
    quiet_stack: LocalStack,
    new_practice: Callable[..., Practice],
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack = quiet_stack
    practice = new_practice(admin=True)
    backoff = timedelta(seconds=get_settings().retry_backoff_seconds)
    # given two transient failures whose automatic re-drive is due
    due = [failed_delivery(practice, backoff + timedelta(seconds=5)) for _ in range(2)]
    capsys.readouterr()

    # when the schedule runs
    context: Any = LambdaContext(function_name="ScheduledRetryFunction", timeout_seconds=300)
    summary = schedule_entry.lambda_handler(load_event("scheduled_retry", "every_five_minutes"), context)

    # then its one EMF record counts every delivery it re-drove, these two among them
    [record] = emf_records(capsys.readouterr().out)
    assert summary["redriven"] >= len(due)
    assert values(record)["Redrives"] == summary["redriven"]

    # given three failures, when retry-all runs (its handler writes what it counted)
    for _ in range(3):
        failed_delivery(practice, timedelta(seconds=1))
    event = load_event("healthbridge_retry_all_failed", "retry")
    event["headers"]["Authorization"] = f"Bearer {practice.token}"
    event["multiValueHeaders"]["Authorization"] = [f"Bearer {practice.token}"]
    authorized(event, practice.token)  # as the JWT authorizer hands it on
    spec = stack.stack.functions["HealthbridgeRetryAllFailedFunction"]
    response = invoke(spec, event)
    assert response["statusCode"] == 200, response.get("body")
    put_back = json.loads(response["body"])["Data"]

    # then its EMF record counts the deliveries it put back (the schedule's two are PENDING already)
    [record] = emf_records(capsys.readouterr().out)
    assert len(put_back) == 3
    assert values(record) == {"Redrives": 3}
    tried(
        "faults",
        f"metrics: the schedule wrote Redrives {summary['redriven']} (= its summary), retry-all Redrives 3 "
        "(= deliveries put back)",
    )
