"""The local stack's SQS SendMessage and ReceiveMessage (moto with moto_queues) take and hand out a
message without counting the queue, as SQS does; the queue's depths are still counted where they are
asked for (GetQueueAttributes).

Against the session's moto server over HTTP, on a queue of the test's own: every body starts with the
queue's name, and only those messages are counted (the worker's pollers receive from the stack's queues
meanwhile, through the same moto code)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.sqs.models import Message

from invoice_hub_local.provision import REGION
from invoice_hub_local.stack import LocalStack

#: the patches to moto run in moto's request threads: traced here, so that coverage measures them
pytestmark = pytest.mark.usefixtures("moto_traced")

WAITING = 300


@pytest.fixture
def queue(stack: LocalStack) -> Iterator[tuple[Any, str, str]]:
    client = boto3.client("sqs", endpoint_url=stack.aws_endpoint, region_name=REGION)
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = client.create_queue(QueueName=name)["QueueUrl"]
    for start in range(0, WAITING, 10):
        entries = [{"Id": str(n), "MessageBody": f"{name} m{n}"} for n in range(start, start + 10)]
        client.send_message_batch(QueueUrl=url, Entries=entries)
    yield client, url, name
    client.delete_queue(QueueUrl=url)


def test_a_send_or_receive_does_not_count_the_queue_and_its_depth_is_still_counted(
    queue: tuple[Any, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, url, name = queue
    looked_at: list[str] = []
    visible = Message.visible

    def watched(message: Message) -> bool:
        if message.body.startswith(name):  # this queue's message, not one a poller of the stack looks at
            looked_at.append(message.id)
        return bool(visible.fget(message))  # type: ignore[misc]

    monkeypatch.setattr(Message, "visible", property(watched))
    client.send_message(QueueUrl=url, MessageBody=f"{name} one more")
    client.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "a", "MessageBody": f"{name} a"}, {"Id": "b", "MessageBody": f"{name} b"}],
    )
    assert looked_at == []
    # a receive walks the queue once for its visible messages (moto keeps no index of them), and no more:
    # it counts none of the queue for each message it hands out (three walks each, before)
    received = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 10
    assert len(looked_at) < 2 * (WAITING + 3), len(looked_at)
    looked_at.clear()
    depth = client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert depth["Attributes"]["ApproximateNumberOfMessages"] == str(WAITING + 3 - 10)
    assert len(looked_at) >= WAITING + 3
