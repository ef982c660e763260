"""Retry-all at scale against moto over HTTP (the session's local stack), called in-process: many failed
sends of one practice are put back over several calls, each bounded by its write budget, and none is
lost or put back twice.

The calls use a SendQueue and SendDLQ of their own (no poller consumes them) and a `stuck_after` of a
year, so neither the stack's Sender nor its schedule touches these deliveries.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import boto3
import pytest
from botocore.config import Config

from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.dal.queue_client import DeliveryRef, SendQueue
from invoice_hub.domain.delivery import Delivery, DeliveryStatus
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.outbox import new_delivery
from invoice_hub.logic.redrive import RetryAll, retry_all_failed
from invoice_hub_local.provision import REGION
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice
from tests.polling import wait_for
from tests.report import tried

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

S = DeliveryStatus
FAILED_SENDS = 600
LIMIT = 250
#: the write budget, in readings of ReadingsClock: a call starts 199 writes, the 200th reading ends it
BUDGET = timedelta(seconds=200)
WRITES_IN_BUDGET = 199
NEVER = timedelta(days=365)  # stuck_after: the stack's schedule never enqueues these


def failed_send(practice: Practice, n: int, now: datetime, in_dlq: bool) -> Delivery:
    """A send that failed permanently (no automatic re-drive); its DLQ message is there or has expired."""
    at = now - timedelta(hours=1) + timedelta(milliseconds=n)
    destination = practice.tenant.destinations[0]
    pending = new_delivery(
        tenant_id=practice.tenant.id,
        destination=destination,
        method=destination.method,
        now=at,
        stuck_after=NEVER,
        invoice_ids=(uuid.uuid4(),),
        amount_cents=12000,
    )
    claimed = states.attempt(pending, at, at + timedelta(seconds=30))
    dlq_until = now + (timedelta(days=13) if in_dlq else -timedelta(days=1))
    return states.failed(claimed, at, "rejected: 400 Bad Request", True, dlq_until)


class ReadingsClock:
    """A clock one second later at each reading: retry-all reads it once for its deadline and once
    before each write, so its budget is spent after a known number of writes, however slow moto is
    (how long a call takes is measured by `make bench`, not asserted here)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            self.now += 1.0
            return self.now


@pytest.fixture
def store(stack: LocalStack) -> Iterator[Callable[[list[Delivery]], None]]:
    """Stores deliveries as the dal does (its `to_item`), 25 a BatchWriteItem (they are new: no
    condition to check, so no transaction is needed). They are deleted when the test ends: moto reads a
    whole table for a Query on an index, so later tests would pay for them."""
    repo = delivery_repository(get_settings())
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws_endpoint,
        region_name=REGION,
        config=Config(read_timeout=120, retries={"mode": "standard", "max_attempts": 4}),
    )
    schema = client.describe_table(TableName=repo.table)["Table"]["KeySchema"]
    stored: list[dict[str, Any]] = []

    def write(requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: Any = {repo.table: requests[start : start + 25]}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None

    def put(deliveries: list[Delivery]) -> None:
        items = [repo.to_item(d) for d in deliveries]
        stored.extend({k["AttributeName"]: item[k["AttributeName"]] for k in schema} for item in items)
        write([{"PutRequest": {"Item": item}} for item in items])

    yield put
    write([{"DeleteRequest": {"Key": key}} for key in stored])


def private_queue(sqs: SQSClient) -> SendQueue:
    name = f"retry-all-scale-{uuid.uuid4().hex[:8]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})
    queue_url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    return SendQueue(queue_url, dlq_url, dlq_arn, client=sqs)


def named_in(sqs: SQSClient, queue_url: str) -> list[UUID]:
    """The delivery named by every message of the queue (received and left invisible)."""
    named: list[UUID] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600)
        if not messages.get("Messages"):
            return named
        named += [DeliveryRef.parse(m["Body"]).delivery_id for m in messages["Messages"]]


def test_many_failed_sends_are_put_back_over_calls_each_bounded_by_its_write_budget(
    stack: LocalStack, new_practice: Callable[..., Practice], store: Callable[[list[Delivery]], None]
) -> None:
    # given a practice with 600 sends failed for good, half with their message in the DLQ
    practice = new_practice()
    repo = delivery_repository(get_settings())
    sqs = boto3.client("sqs", endpoint_url=stack.aws_endpoint, region_name=REGION)
    queue = private_queue(sqs)
    now = datetime.now(UTC)
    failed = [failed_send(practice, n, now, in_dlq=n % 2 == 0) for n in range(FAILED_SENDS)]
    store(failed)
    in_dlq = [DeliveryRef(d.tenant_id, d.id) for d in failed if d.dlq_until and d.dlq_until > now]
    for start in range(0, len(in_dlq), 10):
        entries = [{"Id": str(n), "MessageBody": r.body()} for n, r in enumerate(in_dlq[start : start + 10])]
        sqs.send_message_batch(QueueUrl=queue.dlq_url, Entries=entries)  # type: ignore[arg-type]

    # when an admin calls retry-all (250 at most a call, its write budget spent after 200 clock
    # readings: one a write) until it leaves nothing behind
    calls: list[tuple[RetryAll, float]] = []
    while not calls or calls[-1][0].remaining:
        began = time.perf_counter()
        result = retry_all_failed(
            repo, queue, practice.tenant.id, NEVER, limit=LIMIT, budget=BUDGET, timer=ReadingsClock()
        )
        calls.append((result, time.perf_counter() - began))
        assert len(calls) <= FAILED_SENDS // 10, "retry-all made no progress"

    # then every call stopped writing when its budget was spent, and the next call went on
    assert [len(result.put_back) for result, _ in calls] == [WRITES_IN_BUDGET] * 3 + [3]
    tried(
        "retry-all",
        f"{FAILED_SENDS} failed sends (moto over HTTP) -> {len(calls)} bounded calls of "
        f"{', '.join(str(len(r.put_back)) for r, _ in calls)}; each answered in "
        f"{', '.join(f'{seconds:.1f}' for _, seconds in calls)} s here (timed in make bench, not here)",
    )
    # and every failed send was put back exactly once, and is PENDING; none is left FAILED
    put_back = [d.id for result, _ in calls for d in result.put_back]
    assert len(put_back) == len(set(put_back)) == FAILED_SENDS
    assert set(put_back) == {d.id for d in failed}
    assert repo.oldest_by_status(practice.tenant.id, S.FAILED, 10) == []
    assert {repo.get(d.tenant_id, d.id).status for d in failed[:: FAILED_SENDS // 20]} == {S.PENDING}
    # and only the last call moved the DLQ, after its last write
    assert [result.move_task.started for result, _ in calls] == [False] * (len(calls) - 1) + [True]

    # and once the move has finished, SendQueue names every one of them (some twice: a partial call
    # enqueued it afresh and its DLQ message came back too; the Sender's claim makes that harmless)
    def moved() -> bool:
        tasks = sqs.list_message_move_tasks(SourceArn=queue.dlq_arn, MaxResults=1)["Results"]
        return bool(tasks) and tasks[0].get("Status") == "COMPLETED"

    wait_for(moved, "the DLQ move to finish")
    named = named_in(sqs, queue.queue_url)
    assert set(named) == {d.id for d in failed}
    for url in (queue.queue_url, queue.dlq_url):
        sqs.delete_queue(QueueUrl=url)
