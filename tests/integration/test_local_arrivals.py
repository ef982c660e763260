"""The local pollers wait as Lambda's long-polling pollers do (arrivals.py): an idle poller takes a message
the moment it is sent, a message back from its visibility timeout the moment it is visible, and a stream
record the moment it is written, without asking moto again and again in between.

Each test makes the idle pollers' fallback wait an hour, so only the wake-up can end it; against the
session's moto server, on a queue or table of the test's own."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import boto3
import pytest

from invoice_hub_local import arrivals
from invoice_hub_local.arrivals import Arrivals
from invoice_hub_local.pollers import QueuePoller
from invoice_hub_local.provision import ACCOUNT, REGION
from invoice_hub_local.stack import LocalStack
from invoice_hub_local.stream_pollers import StreamPoller
from tests.polling import wait_for

#: the patches to moto run in moto's request threads: traced here, so that coverage measures them
pytestmark = pytest.mark.usefixtures("moto_traced")

HOUR = 3600.0


@pytest.fixture(autouse=True)
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrivals, "LONGEST", HOUR)


def watched(make: Callable[[], Arrivals], waiting: threading.Event) -> Callable[[], Arrivals]:
    """`make`, with `waiting` set each time the poller starts to wait."""

    def factory() -> Arrivals:
        made = make()
        wait = made.wait

        def signalling() -> None:
            waiting.set()
            wait()

        made.wait = signalling  # type: ignore[method-assign]
        return made

    return factory


def test_an_idle_poller_takes_a_message_when_it_is_sent_and_again_when_it_is_visible(
    stack: LocalStack,
) -> None:
    sqs = boto3.client("sqs", endpoint_url=stack.aws_endpoint, region_name=REGION)
    name = f"arrivals-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    received: list[str] = []

    def fail_first(event: dict[str, Any], _: Any) -> dict[str, Any]:
        [record] = event["Records"]
        received.append(record["body"])
        failed = received.count(record["body"]) == 1  # the first receive fails: back after 1 s
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}] if failed else []}

    waiting = threading.Event()
    poller = QueuePoller(
        url,
        fail_first,
        batch_size=1,
        idle_seconds=HOUR,
        client=sqs,
        arrivals=watched(partial(arrivals.queue, ACCOUNT, REGION, name), waiting),
    ).start()
    try:
        assert waiting.wait(10), "the poller never went idle"
        sqs.send_message(QueueUrl=url, MessageBody="one")
        wait_for(lambda: received == ["one", "one"], "the message, received again once visible", timeout=15)
        wait_for(
            lambda: (
                sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
                    "ApproximateNumberOfMessagesNotVisible"
                ]
                == "0"
            ),
            "the handled message deleted",
            timeout=15,
        )
    finally:
        poller.stop()
        sqs.delete_queue(QueueUrl=url)


def test_an_idle_stream_poller_reads_a_record_when_it_is_written(stack: LocalStack) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name=REGION)
    name = f"arrivals-{uuid.uuid4().hex[:8]}"
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    read: list[str] = []

    def handler(event: dict[str, Any], _: Any) -> None:
        read.extend(record["dynamodb"]["Keys"]["id"]["S"] for record in event["Records"])

    poller = StreamPoller(
        name,
        table["LatestStreamArn"],
        handler,
        function_name="arrivals-test",
        endpoint_url=stack.aws_endpoint,
        region_name=REGION,
        idle_seconds=HOUR,
        watch_arrivals=True,
    )
    waiting = threading.Event()
    assert poller._arrivals is not None
    watched(lambda: poller._arrivals, waiting)()  # type: ignore[arg-type,return-value]
    poller.start()
    try:
        assert waiting.wait(10), "the stream poller never went idle"
        dynamodb.put_item(TableName=name, Item={"id": {"S": "first"}})
        wait_for(lambda: read == ["first"], "the record read", timeout=15)
    finally:
        poller.stop()
        dynamodb.delete_table(TableName=name)
