"""The local stack's SQS machinery against moto's server over HTTP: the event source mapping's pollers
(partial batch responses, the DLQ after maxReceiveCount) and DLQ redrive with StartMessageMoveTask."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from botocore.exceptions import ClientError

from invoice_hub_local import sqs_move_tasks
from invoice_hub_local.aws import AwsServer
from invoice_hub_local.pollers import PollResult, QueuePoller, mapping_pollers
from invoice_hub_local.provision import Resolved
from invoice_hub_local.template import FunctionSpec, Stack

#: the patches to moto run in moto's request threads: traced here, so that coverage measures them
pytestmark = pytest.mark.usefixtures("moto_traced")

T = TypeVar("T")
MAX_RECEIVE_COUNT = 2


def eventually(check: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.05) -> T:
    """The first truthy result of `check`, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(interval)


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsServer]:
    sqs_move_tasks.install()
    server = AwsServer("127.0.0.1", 0).start()
    yield server
    sqs_move_tasks.shutdown()
    server.stop()


@pytest.fixture
def sqs(aws: AwsServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    endpoint = f"http://127.0.0.1:{aws.port}"
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")


@dataclass(frozen=True)
class Queues:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


def arn_of(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def make_queues(sqs: Any, dlq_url: str | None = None) -> Queues:
    """A source queue whose RedrivePolicy sends to a DLQ (a new one unless given); moto's backends are
    shared by every server in the process, so names are unique."""
    suffix = uuid.uuid4().hex[:10]
    dlq_url = dlq_url or sqs.create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq_url)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
    url = sqs.create_queue(
        QueueName=f"send-{suffix}", Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "30"}
    )["QueueUrl"]
    return Queues(url=url, arn=arn_of(sqs, url), dlq_url=dlq_url, dlq_arn=dlq_arn)


@pytest.fixture
def queues(sqs: Any) -> Queues:
    return make_queues(sqs)


def send(sqs: Any, url: str, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": "delivery"},
                "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            },
        )


def counts(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def total(sqs: Any, url: str) -> int:
    return sum(counts(sqs, url))


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every visible message of a queue, received once each (and left in flight)."""
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages += batch


def dead_letter(sqs: Any, queues: Queues, *bodies: str) -> list[str]:
    """Sends bodies to the source queue and receives until moto has moved everything in it to the DLQ;
    returns the receive counts the source queue's receives saw."""
    send(sqs, queues.url, *bodies)
    seen: list[str] = []

    def moved() -> bool:
        batch = sqs.receive_message(
            QueueUrl=queues.url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
        )
        seen.extend(m["Attributes"]["ApproximateReceiveCount"] for m in batch.get("Messages", []))
        return total(sqs, queues.url) == 0

    eventually(moved)
    return seen


def tasks(sqs: Any, source_arn: str, max_results: int = 1) -> list[dict[str, Any]]:
    return list(sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=max_results)["Results"])


def failing(
    sqs: Any, url: str, fail: Callable[[dict[str, Any]], bool]
) -> Callable[[dict[str, Any], Any], Any]:
    """A handler that reports the records `fail` picks as failed and makes them visible again at once
    (as the Sender's back-off does with 0 s), so tests need not wait out a visibility timeout."""

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        failed = [record for record in event["Records"] if fail(record)]
        for record in failed:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in failed]}

    return handler


# -- moto itself -------------------------------------------------------------------------------------
def test_moto_moves_a_message_to_the_dlq_once_received_max_receive_count_times(
    sqs: Any, queues: Queues
) -> None:
    assert dead_letter(sqs, queues, "poison") == ["1", "2"]
    [in_dlq] = drain(sqs, queues.dlq_url)
    assert in_dlq["Body"] == "poison"


# -- pollers -----------------------------------------------------------------------------------------
def test_event_has_lambdas_record_shape(sqs: Any, queues: Queues) -> None:
    events: list[dict[str, Any]] = []
    poller = QueuePoller(queues.url, lambda event, _: events.append(event), client=sqs)
    send(sqs, queues.url, '{"delivery_id": "d-1"}')

    assert poller.poll_once() == PollResult(received=1, succeeded=1, failed=0)

    [record] = events[0]["Records"]
    assert record["body"] == '{"delivery_id": "d-1"}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queues.arn
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "delivery",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324 - SQS's checksum
    assert record["messageId"]
    assert record["receiptHandle"]
    assert total(sqs, queues.url) == 0


def test_a_message_the_handler_keeps_failing_is_delivered_max_receive_count_times_then_dead_lettered(
    sqs: Any, queues: Queues
) -> None:
    deliveries: list[str] = []

    def record_and_fail(record: dict[str, Any]) -> bool:
        deliveries.append(record["attributes"]["ApproximateReceiveCount"])
        return True

    poller = QueuePoller(queues.url, failing(sqs, queues.url, record_and_fail), client=sqs)
    send(sqs, queues.url, "poison")

    def dead_lettered() -> bool:
        poller.poll_once()
        return total(sqs, queues.dlq_url) == 1

    eventually(dead_lettered)
    assert deliveries == ["1", "2"]
    assert total(sqs, queues.url) == 0
    assert [m["Body"] for m in drain(sqs, queues.dlq_url)] == ["poison"]


def test_partial_batch_failure_leaves_only_the_listed_messages(sqs: Any, queues: Queues) -> None:
    poller = QueuePoller(queues.url, failing(sqs, queues.url, lambda r: r["body"] == "b"), client=sqs)
    send(sqs, queues.url, "a", "b", "c")

    assert poller.poll_once() == PollResult(received=3, succeeded=2, failed=1)
    assert [m["Body"] for m in eventually(lambda: drain(sqs, queues.url))] == ["b"]


def test_a_handler_exception_leaves_the_whole_batch(sqs: Any, queues: Queues) -> None:
    def broken(_event: dict[str, Any], _context: Any) -> None:
        raise RuntimeError("the function crashed")

    poller = QueuePoller(queues.url, broken, client=sqs)
    send(sqs, queues.url, "a", "b", "c")

    assert poller.poll_once() == PollResult(received=3, succeeded=0, failed=3)
    assert counts(sqs, queues.url) == (0, 3)  # in flight until their visibility timeout ends


@pytest.mark.parametrize(
    "response",
    [
        ["not", "an", "object"],
        "batchItemFailures",
        {"batchItemFailures": [{"id": "wrong key"}]},
        {"batchItemFailures": [{"itemIdentifier": "not-a-message-of-this-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": "everything"},
        {"batchItemFailures": [], "unserializable": object()},
    ],
    ids=["list", "string", "wrong-key", "unknown-id", "empty-id", "null-id", "not-a-list", "not-json"],
)
def test_an_invalid_partial_batch_response_fails_the_whole_batch(
    sqs: Any, queues: Queues, response: Any
) -> None:
    poller = QueuePoller(queues.url, lambda _event, _context: response, client=sqs)
    send(sqs, queues.url, "a", "b")

    assert poller.poll_once() == PollResult(received=2, succeeded=0, failed=2)
    assert total(sqs, queues.url) == 2


@pytest.mark.parametrize("response", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}])
def test_an_empty_partial_batch_response_is_a_complete_success(
    sqs: Any, queues: Queues, response: Any
) -> None:
    poller = QueuePoller(queues.url, lambda _event, _context: response, client=sqs)
    send(sqs, queues.url, "a", "b")

    assert poller.poll_once() == PollResult(received=2, succeeded=2, failed=0)
    assert total(sqs, queues.url) == 0


def test_without_report_batch_item_failures_a_returning_handler_succeeds_for_the_whole_batch(
    sqs: Any, queues: Queues
) -> None:
    poller = QueuePoller(
        queues.url,
        failing(sqs, queues.url, lambda r: r["body"] == "b"),
        report_batch_item_failures=False,
        client=sqs,
    )
    send(sqs, queues.url, "a", "b")

    assert poller.poll_once() == PollResult(received=2, succeeded=2, failed=0)
    assert total(sqs, queues.url) == 0


def test_an_empty_queue_polls_nothing(sqs: Any, queues: Queues) -> None:
    poller = QueuePoller(queues.url, lambda _event, _context: pytest.fail("no batch expected"), client=sqs)
    assert poller.poll_once() == PollResult(received=0, succeeded=0, failed=0)


def test_concurrent_workers_handle_every_message_once_and_stop_cleanly(sqs: Any, queues: Queues) -> None:
    bodies = [f"m{n}" for n in range(25)]
    handled: list[str] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        handled.extend(record["body"] for record in event["Records"])
        return {"batchItemFailures": []}

    poller = QueuePoller(
        queues.url, handler, maximum_concurrency=3, batch_size=4, idle_seconds=0.05, client=sqs
    )
    with poller:
        assert poller.running
        send(sqs, queues.url, *bodies)
        eventually(lambda: len(handled) >= len(bodies) and total(sqs, queues.url) == 0)
    assert not poller.running
    assert sorted(handled) == sorted(bodies)


def test_a_running_poller_dead_letters_what_keeps_failing(sqs: Any, queues: Queues) -> None:
    poller = QueuePoller(
        queues.url, failing(sqs, queues.url, lambda r: r["body"] == "bad"), idle_seconds=0.05, client=sqs
    )
    with poller:
        send(sqs, queues.url, "good", "bad", "good")
        eventually(lambda: total(sqs, queues.dlq_url) == 1 and total(sqs, queues.url) == 0)
    assert [m["Body"] for m in drain(sqs, queues.dlq_url)] == ["bad"]


CONSUMER = """
def lambda_handler(event, context):
    return {"batchItemFailures": [
        {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"
    ]}
"""


def test_mapping_pollers_follow_the_templates_event_source_mapping(
    aws: AwsServer, sqs: Any, queues: Queues, tmp_path: Path
) -> None:
    code_dir = tmp_path / f"consumer_{uuid.uuid4().hex[:8]}"
    code_dir.mkdir()
    (code_dir / "app.py").write_text(CONSUMER, encoding="utf-8")
    mapping = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "EventSourceArn": {"Fn::GetAtt": ["WorkQueue", "Arn"]},
            "FunctionName": {"Ref": "ConsumerFunction"},
            "BatchSize": 4,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 3},
        },
    }
    stack = Stack(
        name="machinery",
        template={"Resources": {"ConsumerFunctionWorkQueue": mapping}},
        parameters={},
        functions={
            "ConsumerFunction": FunctionSpec("ConsumerFunction", code_dir, "app.lambda_handler", {}, 7)
        },
        routes=[],
    )
    resolved = Resolved(attrs={("WorkQueue", "Arn"): queues.arn})

    [poller] = mapping_pollers(stack, resolved, f"http://127.0.0.1:{aws.port}", "us-east-1")

    assert poller.queue_url == queues.url
    assert (poller.batch_size, poller.maximum_concurrency, poller.report_batch_item_failures) == (4, 3, True)
    assert poller.function_name == "ConsumerFunction"
    send(sqs, queues.url, "good", "bad")
    assert poller.poll_once() == PollResult(received=2, succeeded=1, failed=1)


# -- message move tasks ----------------------------------------------------------------------------
def test_install_is_idempotent() -> None:
    from moto.sqs.responses import SQSResponse

    sqs_move_tasks.install()
    patched = SQSResponse.call_action
    sqs_move_tasks.install()
    assert SQSResponse.call_action is patched


def test_move_task_puts_every_dlq_message_back_as_a_new_message(sqs: Any, queues: Queues) -> None:
    dead_letter(sqs, queues, "one", "two", "three")

    handle = sqs.start_message_move_task(SourceArn=queues.dlq_arn)["TaskHandle"]

    assert handle
    done = eventually(lambda: [t for t in tasks(sqs, queues.dlq_arn) if t["Status"] == "COMPLETED"])
    assert done[0]["ApproximateNumberOfMessagesMoved"] == 3
    assert done[0]["ApproximateNumberOfMessagesToMove"] == 3
    assert done[0]["SourceArn"] == queues.dlq_arn
    assert "TaskHandle" not in done[0]
    assert "DestinationArn" not in done[0]  # AWS leaves it out when Start named none
    back = drain(sqs, queues.url)
    assert sorted(m["Body"] for m in back) == ["one", "three", "two"]
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in back} == {"1"}
    assert back[0]["MessageAttributes"]["kind"] == {"DataType": "String", "StringValue": "delivery"}
    assert back[0]["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01"
    assert total(sqs, queues.dlq_url) == 0


def test_a_redriven_message_gets_max_receive_count_deliveries_again(sqs: Any, queues: Queues) -> None:
    dead_letter(sqs, queues, "poison")
    sqs.start_message_move_task(SourceArn=queues.dlq_arn)
    eventually(lambda: total(sqs, queues.url) == 1)

    assert dead_letter(sqs, queues) == ["1", "2"]  # nothing new sent: the redriven one, received again
    assert total(sqs, queues.dlq_url) == 1


def test_messages_sent_straight_to_the_dlq_go_to_its_only_source(sqs: Any, queues: Queues) -> None:
    send(sqs, queues.dlq_url, "permanent failure")

    sqs.start_message_move_task(SourceArn=queues.dlq_arn)

    assert [m["Body"] for m in eventually(lambda: drain(sqs, queues.url))] == ["permanent failure"]


def test_without_destination_each_message_returns_to_the_queue_it_came_from(sqs: Any, queues: Queues) -> None:
    other = make_queues(sqs, dlq_url=queues.dlq_url)
    dead_letter(sqs, queues, "from-first")
    send(sqs, other.url, "from-second")
    eventually(
        lambda: (
            sqs.receive_message(QueueUrl=other.url, VisibilityTimeout=0) and total(sqs, other.dlq_url) == 2
        )
    )

    sqs.start_message_move_task(SourceArn=queues.dlq_arn)

    eventually(lambda: total(sqs, queues.url) == 1 and total(sqs, other.url) == 1)
    assert [m["Body"] for m in drain(sqs, queues.url)] == ["from-first"]
    assert [m["Body"] for m in drain(sqs, other.url)] == ["from-second"]


def test_move_task_to_a_named_destination(sqs: Any, queues: Queues) -> None:
    destination_url = sqs.create_queue(QueueName=f"elsewhere-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    destination_arn = arn_of(sqs, destination_url)
    dead_letter(sqs, queues, "x")

    sqs.start_message_move_task(SourceArn=queues.dlq_arn, DestinationArn=destination_arn)

    assert [m["Body"] for m in eventually(lambda: drain(sqs, destination_url))] == ["x"]
    [task] = tasks(sqs, queues.dlq_arn)
    assert task["DestinationArn"] == destination_arn


def test_a_task_is_running_until_done_and_a_second_start_is_refused(sqs: Any, queues: Queues) -> None:
    dead_letter(sqs, queues, "a", "b", "c")

    handle = sqs.start_message_move_task(SourceArn=queues.dlq_arn, MaxNumberOfMessagesPerSecond=2)[
        "TaskHandle"
    ]

    [running] = tasks(sqs, queues.dlq_arn)
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    assert running["ApproximateNumberOfMessagesToMove"] == 3
    assert running["ApproximateNumberOfMessagesMoved"] < 3
    assert running["MaxNumberOfMessagesPerSecond"] == 2
    with pytest.raises(ClientError) as refused:
        sqs.start_message_move_task(SourceArn=queues.dlq_arn)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert refused.value.response["Error"]["Message"] == sqs_move_tasks.ALREADY_RUNNING
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    done = eventually(lambda: [t for t in tasks(sqs, queues.dlq_arn) if t["Status"] == "COMPLETED"])
    assert done[0]["ApproximateNumberOfMessagesMoved"] == 3
    sqs.start_message_move_task(SourceArn=queues.dlq_arn)  # allowed again once none is active
    assert [t["Status"] for t in tasks(sqs, queues.dlq_arn, max_results=10)][1] == "COMPLETED"


def test_cancel_stops_a_running_task(sqs: Any, queues: Queues) -> None:
    dead_letter(sqs, queues, "a", "b", "c", "d", "e")
    handle = sqs.start_message_move_task(SourceArn=queues.dlq_arn, MaxNumberOfMessagesPerSecond=1)[
        "TaskHandle"
    ]

    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]

    cancelled = eventually(lambda: [t for t in tasks(sqs, queues.dlq_arn) if t["Status"] == "CANCELLED"])
    assert cancelled[0]["ApproximateNumberOfMessagesMoved"] == moved < 5
    assert total(sqs, queues.dlq_url) == 5 - moved
    assert total(sqs, queues.url) == moved
    with pytest.raises(ClientError) as again:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert again.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_messages_in_flight_in_the_dlq_move_once_visible(sqs: Any, queues: Queues) -> None:
    dead_letter(sqs, queues, "held")
    [held] = sqs.receive_message(QueueUrl=queues.dlq_url, VisibilityTimeout=1)["Messages"]

    sqs.start_message_move_task(SourceArn=queues.dlq_arn)

    assert tasks(sqs, queues.dlq_arn)[0]["ApproximateNumberOfMessagesMoved"] == 0
    eventually(lambda: tasks(sqs, queues.dlq_arn)[0]["Status"] == "COMPLETED")
    assert [m["Body"] for m in drain(sqs, queues.url)] == [held["Body"]]


def test_move_task_errors_are_awss(sqs: Any, queues: Queues) -> None:
    missing = queues.dlq_arn.rsplit(":", 1)[0] + ":no-such-queue"

    def error_of(call: Callable[[], Any]) -> tuple[str, int]:
        with pytest.raises(ClientError) as raised:
            call()
        return raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"][
            "HTTPStatusCode"
        ]

    assert error_of(lambda: sqs.start_message_move_task(SourceArn=missing)) == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(
        lambda: sqs.start_message_move_task(SourceArn=queues.dlq_arn, DestinationArn=missing)
    ) == ("ResourceNotFoundException", 404)
    assert error_of(lambda: sqs.start_message_move_task(SourceArn=queues.arn)) == (
        "InvalidParameterValue",
        400,
    )
    assert error_of(lambda: sqs.list_message_move_tasks(SourceArn=missing)) == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(lambda: sqs.cancel_message_move_task(TaskHandle="not-a-handle")) == (
        "InvalidParameterValue",
        400,
    )
    assert tasks(sqs, queues.dlq_arn) == []
