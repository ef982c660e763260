"""The schedule and the Sender against moto over HTTP (the session's local stack), called in-process.

What a billing operator relies on: a delivery whose message was lost, or that was scheduled for later, or
that failed transiently, still goes out — once; a manual retry-all racing the schedule never sends
anything twice; and the Sender acknowledges what it must not send, fails fast what can never succeed,
and hands back exactly the records SQS should deliver again.

How time and the stack's background machinery are kept out of the way:

- The stack runs its own SendQueue pollers and the schedule on the real clock. Tests whose schedule runs
  on a clock of their own work "in the future" (deliveries due a day from now), so the background
  schedule never sees them, and send through a SendQueue and SendDLQ of their own (`PrivateSending`),
  consumed by an in-process Sender on the same clock. Their repository is the layer's, with the global
  work-index read narrowed to the test's tenants (`TenantScopedRepository`): a clock a day ahead would
  otherwise re-drive other tests' deliveries too.
- Tests of the Sender Lambda's handler pause the stack's SendQueue pollers (`SenderFunction`) and play
  the event source mapping themselves with real SendQueue messages: real receipt handles (the handler
  changes visibilities on transient failures) and no overlapping invocation of the handler, whose
  Powertools batch processor is module-level, as on Lambda (one invocation per container at a time).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import boto3
import pytest

from invoice_hub.config import Settings, get_settings
from invoice_hub.connectors.base import Parcel, SendResult
from invoice_hub.connectors.http import HttpConnector
from invoice_hub.dal import keys
from invoice_hub.dal.deliveries import DeliveryRepository, delivery_repository
from invoice_hub.dal.dynamo import to_item
from invoice_hub.dal.queue_client import DeliveryRef, SendQueue, send_queue
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Destination, HistoryEntry
from invoice_hub.entry.send_consumer import lambda_handler
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.delivering import Sender, SendPolicy
from invoice_hub.logic.outbox import new_delivery
from invoice_hub.logic.redrive import RetryAll, ScheduleRun, retry_all_failed, run_schedule
from invoice_hub_local.lambda_runtime import LambdaContext
from invoice_hub_local.pollers import QueuePoller
from invoice_hub_local.provision import REGION
from invoice_hub_local.sqs_move_tasks import ACTIVE
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice
from tests.polling import wait_for
from tests.senders import sender_with

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

S = DeliveryStatus
T = TypeVar("T")
DEADLINE = 60.0
#: where clock-controlled tests live: far enough ahead that the stack's real-time schedule never sees them
FUTURE = timedelta(days=1)


# -- small helpers -----------------------------------------------------------------------------------
def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock:
    """A clock the test sets; the schedule, retry-all and the private Sender all read it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


def settings() -> Settings:
    return get_settings()


def stuck_after() -> timedelta:
    return timedelta(seconds=settings().stuck_after_seconds)


def layer_repository() -> DeliveryRepository:
    return delivery_repository(settings())


def sends_of(stack: LocalStack, delivery_id: UUID) -> list[dict[str, Any]]:
    """Every send the fake external systems saw for a delivery (its id is the Idempotency-Key)."""
    return [s for s in stack.external.received()["received"] if s["idempotency_key"] == str(delivery_id)]


def deliveries_at_external(stack: LocalStack, delivery_id: UUID) -> list[dict[str, Any]]:
    """The sends that delivered it (a repeat of a delivered key is recorded as a duplicate, not here)."""
    return [s for s in sends_of(stack, delivery_id) if s["delivered"] and not s["duplicate"]]


def redrive_entries(delivery: Delivery) -> list[HistoryEntry]:
    return [
        e for e in delivery.history if e.status == "retrying" and (e.detail or "").startswith("re-driven")
    ]


def history(delivery: Delivery) -> list[str]:
    return [entry.status for entry in delivery.history]


def pending(practice: Practice, now: datetime, **details: Any) -> Delivery:
    """A new PENDING delivery of the practice to its payer hub (the fake external), as issuing creates it."""
    destination: Destination = details.pop("destination", practice.tenant.destinations[0])
    return new_delivery(
        tenant_id=practice.tenant.id,
        destination=destination,
        method=destination.method,
        now=now,
        stuck_after=stuck_after(),
        invoice_ids=(uuid.uuid4(),),
        amount_cents=12000,
        **details,
    )


def ref(delivery: Delivery) -> DeliveryRef:
    return DeliveryRef(delivery.tenant_id, delivery.id)


@pytest.fixture
def sqs(stack: LocalStack) -> SQSClient:
    return boto3.client("sqs", endpoint_url=stack.aws_endpoint, region_name=REGION)


# -- the schedule's own tenants, queue and Sender -----------------------------------------------------
class TenantScopedRepository(DeliveryRepository):
    """The layer's repository, with the schedule's global work-index read narrowed to some tenants (the
    index is still queried as the schedule queries it; other tenants' due work is only left out)."""

    def __init__(self, layer: DeliveryRepository, tenant_ids: Collection[UUID]) -> None:
        super().__init__(layer.table, layer.redrive)
        self.tenant_ids = frozenset(tenant_ids)

    def due_work(self, now: datetime, limit: int = 500) -> list[tuple[UUID, UUID]]:
        mine = [work for work in super().due_work(now, limit=100_000) if work[0] in self.tenant_ids]
        return mine[:limit]


class StaleReads(DeliveryRepository):
    """The layer's repository whose reads answer what they answered earlier: a run that read before another
    run wrote. Its writes are the real, version-conditional ones."""

    def __init__(
        self, layer: DeliveryRepository, seen: Sequence[Delivery], due: Sequence[tuple[UUID, UUID]] = ()
    ) -> None:
        super().__init__(layer.table, layer.redrive)
        self.seen = {delivery.id: delivery for delivery in seen}
        self.due = list(due)

    def get(self, tenant_id: UUID, delivery_id: UUID) -> Delivery:
        return self.seen[delivery_id]

    def by_status(self, tenant_id: UUID, status: DeliveryStatus, prefix: str = "") -> list[Delivery]:
        return [d for d in self.seen.values() if d.tenant_id == tenant_id and d.status is status]

    def due_work(self, now: datetime, limit: int = 500) -> list[tuple[UUID, UUID]]:
        return self.due[:limit]


@dataclass
class PrivateSending:
    """A SendQueue and SendDLQ of the test's own (maxReceiveCount 1: every transient failure is the last
    receive), an in-process Sender on the test's clock, and the layer's repository scoped to the test's
    tenants. `drain` plays the event source mapping: it hands every visible message to the Sender and does
    what the handler does with the outcome."""

    sqs: SQSClient
    clock: Clock
    repo: TenantScopedRepository
    queue: SendQueue
    sender: Sender

    def schedule(self) -> ScheduleRun:
        return run_schedule(self.repo, self.queue, stuck_after(), clock=self.clock)

    def retry_all(self, tenant_id: UUID) -> RetryAll:
        return retry_all_failed(self.repo, self.queue, tenant_id, stuck_after(), now=self.clock())

    def drain(self) -> list[tuple[UUID, str]]:
        """(delivery id, outcome) of every message handled, in order, until the queue is empty."""
        handled: list[tuple[UUID, str]] = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue.queue_url,
                MaxNumberOfMessages=10,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            ).get("Messages", [])
            if not messages:
                return handled
            for message in messages:
                delivery = DeliveryRef.parse(message["Body"])
                receives = int(message["Attributes"]["ApproximateReceiveCount"])
                attempt = self.sender.handle(delivery, receives)
                handled.append((delivery.delivery_id, attempt.outcome))
                if attempt.outcome == "retry":
                    self.queue.back_off(message["ReceiptHandle"], attempt.backoff_seconds)
                elif attempt.outcome == "exhausted":
                    self.queue.back_off(message["ReceiptHandle"], 0)  # moved to the DLQ at its next receive
                else:
                    self.sqs.delete_message(
                        QueueUrl=self.queue.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )

    def dlq_depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue.dlq_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def move_tasks_done(self) -> bool:
        tasks = self.sqs.list_message_move_tasks(SourceArn=self.queue.dlq_arn, MaxResults=10)["Results"]
        return all(task.get("Status") not in ACTIVE for task in tasks)


@pytest.fixture
def private_sending(stack: LocalStack, sqs: SQSClient) -> Iterator[Callable[..., PrivateSending]]:
    """Makes a PrivateSending for some tenants, its clock starting a day from now. The stack's own
    schedule is paused meanwhile: it runs on real time, and would take work these tests made due."""
    made: list[str] = []

    def make(*practices: Practice) -> PrivateSending:
        suffix = uuid.uuid4().hex[:10]
        dlq_url = sqs.create_queue(QueueName=f"test-send-dlq-{suffix}")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
        url = sqs.create_queue(
            QueueName=f"test-send-{suffix}", Attributes={"VisibilityTimeout": "180", "RedrivePolicy": redrive}
        )["QueueUrl"]
        made.extend([url, dlq_url])
        clock = Clock(utcnow() + FUTURE)
        repo = TenantScopedRepository(layer_repository(), [p.tenant.id for p in practices])
        queue = SendQueue(url, dlq_url, dlq_arn)
        policy = SendPolicy(
            max_receive_count=1,
            backoff_seconds=1,
            claim_seconds=30,
            dlq_retention=timedelta(seconds=settings().dlq_retention_seconds),
            stuck_after=timedelta(seconds=settings().stuck_after_seconds),
        )
        sender = sender_with(repo, queue, policy, clock)
        return PrivateSending(sqs=sqs, clock=clock, repo=repo, queue=queue, sender=sender)

    with stack.schedule_paused():
        yield make
    for url in made:
        with suppress(Exception):
            sqs.delete_queue(QueueUrl=url)


# -- the Sender Lambda, invoked as the event source mapping invokes it -------------------------------------
def lambda_record(message: MessageTypeDef, queue_arn: str) -> dict[str, Any]:
    """One SQS message as Lambda puts it in an SQS event record."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {str(name): str(value) for name, value in message.get("Attributes", {}).items()},
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


class SenderFunction:
    """The stack's SendQueue with its pollers paused: the test sends real messages, receives them (real
    receipt handles, real ApproximateReceiveCount), invokes the Sender's handler with them and, like the
    event source mapping, deletes every message the response does not name."""

    def __init__(self, stack: LocalStack, sqs: SQSClient) -> None:
        self.sqs = sqs
        self.queue_url = stack.environment["SEND_QUEUE_URL"]
        self.dlq_url = stack.environment["SEND_DLQ_URL"]
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.pollers: list[QueuePoller] = [
            p for p in stack.pollers if p.queue_url == self.queue_url and p.running
        ]
        assert self.pollers or not stack.run_triggers, "the stack's SendQueue pollers were not found"

    def pause(self) -> None:
        for poller in self.pollers:
            poller.stop(timeout=30)  # each worker finishes the batch it has

    def resume(self) -> None:
        for poller in self.pollers:
            poller.start()

    def records(self, *refs: DeliveryRef) -> list[dict[str, Any]]:
        """Sends one SendQueue message per ref and receives them back as Lambda records, in ref order."""
        ids = [
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=r.body())["MessageId"] for r in refs
        ]
        got: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + DEADLINE
        while len(got) < len(ids):
            assert time.monotonic() < deadline, "timed out receiving the test's own SendQueue messages"
            for message in self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", []):
                if message["MessageId"] in ids:
                    got[message["MessageId"]] = lambda_record(message, self.queue_arn)
                else:  # another test's or the schedule's message: leave it to the pollers
                    self.sqs.change_message_visibility(
                        QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
        return [got[message_id] for message_id in ids]

    def invoke(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        context: Any = LambdaContext(function_name="SenderFunction", timeout_seconds=30)
        response: dict[str, Any] = lambda_handler({"Records": records}, context)
        failed = {failure["itemIdentifier"] for failure in response.get("batchItemFailures") or []}
        for record in records:
            if record["messageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])
        return response

    def back_again(self, message_id: str, timeout: float = DEADLINE) -> dict[str, Any]:
        """Receives until a message the handler left on the queue is visible again; returns it as a record
        and makes it visible at once for whoever polls next."""

        def look() -> dict[str, Any] | None:
            found = None
            for message in self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", []):
                if message["MessageId"] == message_id:
                    found = lambda_record(message, self.queue_arn)
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            return found

        return wait_for(look, timeout=timeout, what=f"message {message_id} to be visible again")

    def dlq_holds(self, delivery: Delivery) -> bool:
        """Whether SendDLQ holds a message for the delivery (each message is looked at, then left visible)."""
        bodies: list[str] = []
        handles: list[str] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=30
            ).get("Messages", [])
            if not batch:
                break
            bodies += [m["Body"] for m in batch]
            handles += [m["ReceiptHandle"] for m in batch]
        for handle in handles:
            self.sqs.change_message_visibility(
                QueueUrl=self.dlq_url, ReceiptHandle=handle, VisibilityTimeout=0
            )
        return any(DeliveryRef.parse(body) == ref(delivery) for body in bodies)


@pytest.fixture
def sender_function(stack: LocalStack, sqs: SQSClient) -> Iterator[SenderFunction]:
    function = SenderFunction(stack, sqs)
    function.pause()
    try:
        yield function
    finally:
        function.resume()


class RejectingDestination:
    """An external system of the test's own that refuses every send with 400 (the fake external systems'
    outages switch every destination at once; this one rejects while they accept)."""

    def __init__(self) -> None:
        self.keys: list[str | None] = []
        keys = self.keys

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                keys.append(self.headers.get("Idempotency-Key"))
                body = json.dumps({"error": "invalid_payer", "message": "unknown payer"}).encode()
                self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="rejecting-destination", daemon=True
        )
        self.thread.start()

    def destination(self) -> Destination:
        port = self.server.server_address[1]
        return Destination(
            name="rejecting-payer-hub", kind="payer_hub", endpoint_url=f"http://127.0.0.1:{port}/bills"
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rejecting() -> Iterator[RejectingDestination]:
    server = RejectingDestination()
    yield server
    server.stop()


# == 1. the schedule ===================================================================================
def test_schedule_enqueues_a_pending_delivery_whose_message_was_lost(
    stack: LocalStack, new_practice: Callable[..., Practice]
) -> None:
    """Protects: an invoice whose SendQueue message never arrived (SQS refused it, the function died
    before enqueueing) still reaches the payer — once — when the schedule finds it stuck in PENDING, and
    later runs leave it alone."""
    # given a PENDING delivery written to DynamoDB whose message never reached SendQueue
    practice = new_practice()
    created = utcnow()
    delivery = pending(practice, created)
    repo, queue = layer_repository(), send_queue(settings())
    repo.create([delivery])
    assert delivery.check_at == created + stuck_after()
    # (with the real clock it is not stuck yet, so the stack's own schedule leaves it to this test)
    later = Clock(created + stuck_after() + timedelta(minutes=1))

    # when the schedule runs after it should have been sent (the stack's pollers run the real Sender)
    first = run_schedule(repo, queue, stuck_after(), clock=later)
    second = run_schedule(repo, queue, stuck_after(), clock=later)

    # then the first run enqueued it, the second did not (its check_at moved on) ...
    assert delivery.id in first.enqueued
    assert delivery.id not in second.enqueued + second.redriven

    # ... and it ends SENT, received exactly once by the payer hub
    def sent_by_now() -> Delivery | None:
        found = repo.get(practice.tenant.id, delivery.id)
        return found if found.status is S.SENT else None

    sent = wait_for(sent_by_now, what="the re-enqueued delivery to be sent")
    assert history(sent) == ["received", "queued", "queued", "sending", "ebilled"]
    assert sent.attempts == 1
    [received] = deliveries_at_external(stack, delivery.id)
    assert received["path"] == f"/payer-hub/{practice.tenant.slug}"
    assert len(sends_of(stack, delivery.id)) == 1
    # and once it is sent no later run enqueues it again
    much_later = Clock(later() + 10 * stuck_after())
    assert delivery.id not in run_schedule(repo, queue, stuck_after(), clock=much_later).enqueued


def test_schedule_sends_a_scheduled_delivery_only_once_it_is_due(
    stack: LocalStack, new_practice: Callable[..., Practice], private_sending: Callable[..., PrivateSending]
) -> None:
    """Protects: a send scheduled for later (a Decoda rule's delay) does not go out early — not even if a
    message for it arrives early — and goes out, once, with the first schedule run after it is due."""
    # given a delivery scheduled an hour from "now"
    practice = new_practice()
    sending = private_sending(practice)
    due_at = sending.clock() + timedelta(hours=1)
    delivery = pending(practice, sending.clock(), send_time=due_at)
    sending.repo.create([delivery])
    assert history(delivery) == ["received"]

    # when the schedule runs before it is due, and even a message for it arrives early
    sending.clock.set(due_at - timedelta(minutes=30))
    early = sending.schedule()
    sending.clock.set(due_at - timedelta(seconds=1))
    just_before = sending.schedule()
    sending.queue.enqueue([ref(delivery)])
    premature = sending.drain()

    # then nothing is sent: the runs pass it by and the Sender acknowledges the early message unsent
    assert delivery.id not in early.enqueued + just_before.enqueued
    assert premature == [(delivery.id, "skipped")]
    assert sends_of(stack, delivery.id) == []
    waiting = sending.repo.get(practice.tenant.id, delivery.id)
    assert waiting.status is S.PENDING
    assert waiting.version == delivery.version

    # when the first run after it is due comes
    sending.clock.set(due_at + timedelta(seconds=1))
    due = sending.schedule()
    handled = sending.drain()

    # then it is enqueued, sent, and received exactly once
    assert delivery.id in due.enqueued
    assert handled == [(delivery.id, "sent")]
    sent = sending.repo.get(practice.tenant.id, delivery.id)
    assert sent.status is S.SENT
    assert sent.sent_at == due_at + timedelta(seconds=1)
    assert history(sent) == ["received", "queued", "sending", "ebilled"]
    assert len(deliveries_at_external(stack, delivery.id)) == 1
    assert len(sends_of(stack, delivery.id)) == 1
    # and the next run does not enqueue it again
    sending.clock.set(due_at + timedelta(days=1))
    assert delivery.id not in sending.schedule().enqueued
    assert sending.drain() == []


def test_schedule_redrives_a_transient_failure_with_growing_backoff_for_bounded_rounds(
    stack: LocalStack,
    new_practice: Callable[..., Practice],
    private_sending: Callable[..., PrivateSending],
    outage: Callable[[str], None],
) -> None:
    """Protects: during an outage a failed send is retried automatically — not at once, but after a
    back-off that doubles each round — and after MAX_REDRIVE_ROUNDS rounds it stays FAILED for a person
    (the schedule stops hammering the external system); retry-all then sends it exactly once, even though
    every round left a message in the DLQ."""
    # given a delivery whose last receive failed with a 503 (FAILED, transient)
    practice = new_practice()
    sending = private_sending(practice)
    outage("fail")
    delivery = pending(practice, sending.clock())
    sending.repo.create([delivery])
    sending.queue.enqueue([ref(delivery)])
    assert sending.drain() == [(delivery.id, "exhausted")]
    current = sending.repo.get(practice.tenant.id, delivery.id)
    assert (current.status, current.failure_kind) == (S.FAILED, "transient")
    backoff, rounds = sending.repo.redrive.backoff, sending.repo.redrive.max_rounds
    assert rounds >= 1

    waits: list[timedelta] = []
    for round_ in range(rounds):
        failed_at = current.updated_at
        wait = backoff * 2**round_
        # when the schedule runs just before the back-off has passed: it is left alone
        sending.clock.set(failed_at + wait - timedelta(seconds=1))
        assert delivery.id not in sending.schedule().redriven
        assert sending.drain() == []
        # when it runs once the back-off has passed: it is re-driven, sent again, and fails again
        sending.clock.set(failed_at + wait)
        run = sending.schedule()
        assert delivery.id in run.redriven, f"round {round_ + 1} was not re-driven"
        redriven = sending.repo.get(practice.tenant.id, delivery.id)
        assert (redriven.status, redriven.redrive_rounds) == (S.PENDING, round_ + 1)
        assert sending.drain() == [(delivery.id, "exhausted")]
        current = sending.repo.get(practice.tenant.id, delivery.id)
        assert current.status is S.FAILED
        waits.append(sending.clock() - failed_at)

    # then the back-off grew each round and the rounds were bounded
    assert waits == [backoff * 2**n for n in range(rounds)]
    assert waits == sorted(waits)
    assert len(set(waits)) == rounds
    assert current.redrive_rounds == rounds
    assert [e.detail for e in redrive_entries(current)] == ["re-driven by schedule"] * rounds
    # after the last round the schedule leaves it FAILED (here: for nearly the DLQ's 14-day retention)
    sending.clock.set(current.updated_at + timedelta(days=13))
    assert delivery.id not in sending.schedule().redriven
    assert (practice.tenant.id, delivery.id) not in sending.repo.due_work(sending.clock())
    assert sending.repo.get(practice.tenant.id, delivery.id).status is S.FAILED
    assert len(sends_of(stack, delivery.id)) == rounds + 1
    assert deliveries_at_external(stack, delivery.id) == []

    # and when the outage is over, retry-all (a person) sends it once, whatever the DLQ held
    outage("ok")
    assert sending.dlq_depth() == rounds + 1  # every round's message ended in the DLQ
    retried = sending.retry_all(practice.tenant.id)
    assert [d.id for d in retried.put_back] == [delivery.id]
    wait_for(lambda: sending.dlq_depth() == 0 and sending.move_tasks_done(), what="the DLQ re-drive")
    outcomes = sending.drain()
    assert Counter(outcome for _, outcome in outcomes) == Counter({"sent": 1, "skipped": rounds})
    assert sending.repo.get(practice.tenant.id, delivery.id).status is S.SENT
    assert len(deliveries_at_external(stack, delivery.id)) == 1


def failed_long_ago(practice: Practice, now: datetime) -> Delivery:
    """A delivery that failed transiently 15 days ago: its automatic re-drive is due and its DLQ message
    has expired (SendDLQ keeps messages 14 days)."""
    failed_at = now - timedelta(days=15)
    claimed = states.attempt(pending(practice, failed_at), failed_at, failed_at + timedelta(seconds=30))
    return states.failed(
        claimed,
        failed_at,
        "unavailable: 503 Service Unavailable",
        False,
        failed_at + timedelta(seconds=settings().dlq_retention_seconds),
    )


def test_schedule_and_retry_all_never_both_take_a_delivery_that_one_of_them_read_stale(
    stack: LocalStack, new_practice: Callable[..., Practice], private_sending: Callable[..., PrivateSending]
) -> None:
    """Protects: an operator's retry-all overlapping the schedule's automatic re-drive never re-drives a
    delivery twice or enqueues it twice — whichever writes second was working from a read the first made
    stale, and its version-conditional write loses — so each FAILED delivery is sent exactly once."""
    # given FAILED deliveries (DLQ messages expired) in two practices, all due for automatic re-drive
    first_practice, second_practice = new_practice(), new_practice()
    sending = private_sending(first_practice, second_practice)
    taken_by_schedule = [failed_long_ago(first_practice, sending.clock()) for _ in range(3)]
    taken_by_retry_all = [failed_long_ago(second_practice, sending.clock()) for _ in range(3)]
    sending.repo.create(taken_by_schedule + taken_by_retry_all)
    everything = taken_by_schedule + taken_by_retry_all

    # when retry-all reads the first practice's failures, then the schedule re-drives them, then retry-all
    # writes from what it read
    retry_all_read = sending.repo.by_status(first_practice.tenant.id, S.FAILED)
    assert {d.id for d in retry_all_read} == {d.id for d in taken_by_schedule}
    schedule_scoped_to_first = TenantScopedRepository(sending.repo, [first_practice.tenant.id])
    by_schedule = run_schedule(schedule_scoped_to_first, sending.queue, stuck_after(), clock=sending.clock)
    late_retry_all = retry_all_failed(
        StaleReads(sending.repo, retry_all_read),
        sending.queue,
        first_practice.tenant.id,
        stuck_after(),
        now=sending.clock(),
    )
    # and the schedule reads the second practice's due work, then retry-all takes it, then the schedule
    # writes from what it read
    scoped_to_second = TenantScopedRepository(sending.repo, [second_practice.tenant.id])
    schedule_read_due = scoped_to_second.due_work(sending.clock())
    schedule_read = [sending.repo.get(t, d) for t, d in schedule_read_due]
    by_retry_all = sending.retry_all(second_practice.tenant.id)
    late_schedule = run_schedule(
        StaleReads(sending.repo, schedule_read, schedule_read_due),
        sending.queue,
        stuck_after(),
        clock=sending.clock,
    )

    # then the second writer took nothing
    assert sorted(by_schedule.redriven) == sorted(d.id for d in taken_by_schedule)
    assert late_retry_all.put_back == []
    assert sorted(d.id for d in by_retry_all.put_back) == sorted(d.id for d in taken_by_retry_all)
    assert (late_schedule.redriven, late_schedule.enqueued, late_schedule.skipped) == ([], [], 3)
    # and each delivery was re-driven once, enqueued once, sent once
    for delivery in everything:
        entries = redrive_entries(sending.repo.get(delivery.tenant_id, delivery.id))
        assert len(entries) == 1, f"{delivery.id} was re-driven {len(entries)} times"
    handled = sending.drain()
    assert Counter(delivery_id for delivery_id, _ in handled) == Counter(d.id for d in everything)
    assert {outcome for _, outcome in handled} == {"sent"}
    for delivery in everything:
        assert len(deliveries_at_external(stack, delivery.id)) == 1
        assert len(sends_of(stack, delivery.id)) == 1


def test_schedule_and_retry_all_running_together_send_each_failed_delivery_once(
    stack: LocalStack,
    new_practice: Callable[..., Practice],
    private_sending: Callable[..., PrivateSending],
    outage: Callable[[str], None],
) -> None:
    """Protects: the schedule's automatic re-drive and an operator's retry-all running at the same moment
    (retry-all also moves the DLQ's messages back) split the failed deliveries between them — each is
    re-driven by exactly one — and every delivery reaches the external system exactly once, though some
    get two messages (the DLQ's and the schedule's)."""
    # given deliveries that failed transiently during an outage (their messages are in the DLQ)
    practice = new_practice()
    sending = private_sending(practice)
    outage("fail")
    deliveries = [pending(practice, sending.clock()) for _ in range(6)]
    sending.repo.create(deliveries)
    sending.queue.enqueue([ref(d) for d in deliveries])
    assert Counter(outcome for _, outcome in sending.drain()) == Counter({"exhausted": len(deliveries)})
    assert sending.dlq_depth() == len(deliveries)
    outage("ok")

    # when, once their automatic re-drive is due, the schedule and retry-all run at the same time
    sending.clock.set(sending.clock() + sending.repo.redrive.backoff)
    start = threading.Barrier(2)

    def together(call: Callable[[], T]) -> Callable[[], T]:
        def run() -> T:
            start.wait(DEADLINE)
            return call()

        return run

    with ThreadPoolExecutor(max_workers=2) as pool:
        schedule_run = pool.submit(together(sending.schedule))
        retry_all_run = pool.submit(together(lambda: sending.retry_all(practice.tenant.id)))
        scheduled, retried = schedule_run.result(DEADLINE), retry_all_run.result(DEADLINE)
    wait_for(sending.move_tasks_done, what="retry-all's DLQ re-drive to finish")

    # then each delivery was taken by exactly one of them ...
    by_schedule = set(scheduled.redriven)
    by_retry_all = {d.id for d in retried.put_back}
    assert not by_schedule & by_retry_all
    assert by_schedule | by_retry_all == {d.id for d in deliveries}
    for delivery in deliveries:
        entries = redrive_entries(sending.repo.get(practice.tenant.id, delivery.id))
        assert len(entries) == 1, f"{delivery.id} was re-driven {len(entries)} times"
    # ... and is sent exactly once, however many messages name it
    handled = sending.drain()
    assert Counter(d for d, outcome in handled if outcome == "sent") == Counter(d.id for d in deliveries)
    assert {outcome for _, outcome in handled} <= {"sent", "skipped"}
    for delivery in deliveries:
        assert sending.repo.get(practice.tenant.id, delivery.id).status is S.SENT
        assert len(deliveries_at_external(stack, delivery.id)) == 1
        assert [s["duplicate"] for s in sends_of(stack, delivery.id) if s["status"] == 201] == [False]


def test_a_failed_delivery_whose_dlq_message_was_purged_is_still_sent_once(
    stack: LocalStack,
    new_practice: Callable[..., Practice],
    private_sending: Callable[..., PrivateSending],
    outage: Callable[[str], None],
) -> None:
    """Protects "nothing is lost": retry-all on a delivery whose DLQ message was purged (so the DLQ re-drive
    brings nothing back) leaves it PENDING, and the schedule sends it — once — after `stuck_after`."""
    # given a failed delivery whose DLQ message was purged
    practice = new_practice()
    sending = private_sending(practice)
    outage("fail")
    delivery = pending(practice, sending.clock())
    sending.repo.create([delivery])
    sending.queue.enqueue([ref(delivery)])
    assert sending.drain() == [(delivery.id, "exhausted")]
    assert sending.dlq_depth() == 1
    sending.sqs.purge_queue(QueueUrl=sending.queue.dlq_url)
    outage("ok")

    # when an operator retries all failed deliveries
    retried = sending.retry_all(practice.tenant.id)
    wait_for(sending.move_tasks_done, what="the (empty) DLQ re-drive")

    # then it is back to PENDING, though no message names it yet ...
    assert [d.id for d in retried.put_back] == [delivery.id]
    assert sending.repo.get(practice.tenant.id, delivery.id).status is S.PENDING
    assert sending.drain() == []
    # ... and the schedule's stuck check sends it, once
    sending.clock.set(sending.clock() + stuck_after())
    assert delivery.id in sending.schedule().enqueued
    assert sending.drain() == [(delivery.id, "sent")]
    assert len(deliveries_at_external(stack, delivery.id)) == 1


class Killed(Exception):
    """The Sender's process dies mid-send (a Lambda timeout or crash): nothing after the claim happens."""


class DyingConnector(HttpConnector):
    def send(self, parcel: Parcel) -> SendResult:
        raise Killed(str(parcel.delivery.id))


def dies_on_its_last_receive(sending: PrivateSending, sqs: SQSClient) -> None:
    """The queued send's message is received by a Sender that dies mid-send; it was the message's last
    receive, so SQS dead-letters it."""
    dying = sender_with(
        sending.repo, sending.queue, sending.sender.policy, sending.clock, payer_hubs=DyingConnector(5.0)
    )
    [message] = sqs.receive_message(
        QueueUrl=sending.queue.queue_url, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    with pytest.raises(Killed):
        dying.handle(
            DeliveryRef.parse(message["Body"]), int(message["Attributes"]["ApproximateReceiveCount"])
        )
    sending.queue.back_off(message["ReceiptHandle"], 0)


def test_a_console_redriven_delivery_whose_send_dies_is_still_found_by_the_schedule(
    stack: LocalStack,
    sqs: SQSClient,
    new_practice: Callable[..., Practice],
    private_sending: Callable[..., PrivateSending],
    outage: Callable[[str], None],
) -> None:
    """Protects "nothing is lost" for the console's DLQ re-drive: a delivery it puts back to work whose send
    then dies (after the claim, before any outcome is written, on the message's last receive) is still
    found — re-enqueued by the schedule once its claim and `stuck_after` have passed — like any stuck
    PENDING delivery."""
    # given a delivery that failed transiently, its message in the DLQ
    practice = new_practice()
    sending = private_sending(practice)
    outage("fail")
    delivery = pending(practice, sending.clock())
    sending.repo.create([delivery])
    sending.queue.enqueue([ref(delivery)])
    assert sending.drain() == [(delivery.id, "exhausted")]
    assert sending.dlq_depth() == 1
    outage("ok")
    # when the DLQ is re-driven from the console (no API call) and the Sender dies sending it
    sqs.start_message_move_task(SourceArn=sending.queue.dlq_arn)
    wait_for(lambda: sending.dlq_depth() == 0 and sending.move_tasks_done(), what="the console re-drive")
    dies_on_its_last_receive(sending, sqs)
    assert sending.drain() == []
    interrupted = sending.repo.get(practice.tenant.id, delivery.id)
    assert interrupted.status is S.PENDING

    # then, once its claim and stuck_after have passed, the schedule sends it again
    sending.clock.set(
        sending.clock() + timedelta(seconds=sending.sender.policy.claim_seconds) + stuck_after()
    )
    found = interrupted in sending.repo.by_status(practice.tenant.id, S.FAILED) or delivery.id in (
        sending.schedule().enqueued
    )
    assert found, (
        f"the interrupted delivery is PENDING with check_at={interrupted.check_at}: "
        "neither the schedule nor the failed list will ever see it"
    )
    assert sending.drain() == [(delivery.id, "sent")]
    assert len(deliveries_at_external(stack, delivery.id)) == 1


def test_a_claim_leaves_the_work_index_alone_and_a_send_that_dies_is_still_found(
    stack: LocalStack,
    sqs: SQSClient,
    new_practice: Callable[..., Practice],
    private_sending: Callable[..., PrivateSending],
) -> None:
    """Protects decision 024's claim: a send claimed before its entry in the work index comes due keeps
    that entry (no index write), and when the send dies on its message's last receive, the schedule still
    finds it once the entry comes due, after the claim has expired, and it reaches the payer once."""
    # given an issued send, queued (its work index entry stuck_after later)
    practice = new_practice()
    sending = private_sending(practice)
    delivery = pending(practice, sending.clock())
    sending.repo.create([delivery])
    sending.queue.enqueue([ref(delivery)])
    entry = work_index_entry(delivery)
    assert entry is not None

    # when its send is claimed and dies, on the message's last receive
    dies_on_its_last_receive(sending, sqs)
    assert sending.drain() == []

    # then the claim wrote the send (attempt 1, claimed) but left its work index entry as it was
    claimed = sending.repo.get(practice.tenant.id, delivery.id)
    assert (claimed.status, claimed.attempts, claimed.check_at) == (S.PENDING, 1, delivery.check_at)
    assert claimed.claimed_until is not None
    assert delivery.check_at is not None
    assert claimed.claimed_until <= delivery.check_at  # the schedule never meets a live claim
    assert work_index_entry(delivery) == entry
    # ... the schedule does not take it before the entry comes due ...
    sending.clock.set(claimed.claimed_until + timedelta(seconds=1))
    assert delivery.id not in sending.schedule().enqueued
    # ... and takes it then: the next send asks the payer hub first, and it is received once
    sending.clock.set(delivery.check_at + timedelta(seconds=1))
    assert delivery.id in sending.schedule().enqueued
    assert sending.drain() == [(delivery.id, "sent")]
    assert len(deliveries_at_external(stack, delivery.id)) == 1


def work_index_entry(delivery: Delivery) -> tuple[str, str] | None:
    """The delivery's key in the schedule's work index (GSI5), as stored."""
    item = layer_repository().client.get_item(
        TableName=settings().table_name, Key=to_item(keys.delivery_key(delivery.tenant_id, delivery.id))
    )["Item"]
    return (item["GSI5PK"]["S"], item["GSI5SK"]["S"]) if "GSI5PK" in item else None


# == 2. the Sender =====================================================================================
def test_sender_acknowledges_a_duplicate_for_a_sent_delivery_without_sending(
    stack: LocalStack, new_practice: Callable[..., Practice], sender_function: SenderFunction
) -> None:
    """Protects: a payer is never billed twice when SQS delivers a message twice or a re-drive brings an
    old message back — a message for a SENT delivery is acknowledged without a send."""
    # given a delivery the Sender has sent
    practice = new_practice()
    delivery = pending(practice, utcnow())
    layer_repository().create([delivery])
    assert sender_function.invoke(sender_function.records(ref(delivery))) == {"batchItemFailures": []}
    sent = layer_repository().get(practice.tenant.id, delivery.id)
    assert sent.status is S.SENT

    # when two more messages for it arrive (a duplicate and a re-driven one) in one batch
    response = sender_function.invoke(sender_function.records(ref(delivery), ref(delivery)))

    # then both are acknowledged, nothing more is sent, and the delivery is untouched
    assert response == {"batchItemFailures": []}
    assert len(sends_of(stack, delivery.id)) == 1
    assert len(deliveries_at_external(stack, delivery.id)) == 1
    assert layer_repository().get(practice.tenant.id, delivery.id) == sent


def test_sender_acknowledges_messages_for_paused_or_cancelled_deliveries(
    stack: LocalStack, new_practice: Callable[..., Practice], sender_function: SenderFunction
) -> None:
    """Protects: a practice's decision to pause or cancel a send stands — a message that was already on
    its way is acknowledged (so SQS does not retry it) and nothing is sent."""
    # given a paused and a cancelled delivery, each with a message still on its way
    practice = new_practice()
    now = utcnow()
    repo = layer_repository()
    paused, cancelled = pending(practice, now), pending(practice, now)
    repo.create([paused, cancelled])
    repo.save(states.paused(paused, now))
    repo.save(states.cancelled(cancelled, now))
    before = [repo.get(practice.tenant.id, d.id) for d in (paused, cancelled)]

    # when the messages are delivered
    response = sender_function.invoke(sender_function.records(ref(paused), ref(cancelled)))

    # then they are acknowledged without a send and the deliveries keep their state
    assert response == {"batchItemFailures": []}
    assert sends_of(stack, paused.id) == sends_of(stack, cancelled.id) == []
    after = [repo.get(practice.tenant.id, d.id) for d in (paused, cancelled)]
    assert after == before
    assert [d.status for d in after] == [S.PAUSED, S.CANCELLED]


def test_sender_acknowledges_a_message_for_a_delivery_another_consumer_is_sending(
    stack: LocalStack, new_practice: Callable[..., Practice], sender_function: SenderFunction
) -> None:
    """Protects: two consumers never send the same invoice at once — a message for a delivery whose send
    is under way (its claim has not expired) is acknowledged without a send."""
    # given a delivery another consumer claimed a moment ago
    practice = new_practice()
    now = utcnow()
    repo = layer_repository()
    delivery = pending(practice, now)
    repo.create([delivery])
    claimed = states.attempt(delivery, now, now + timedelta(minutes=5))
    repo.save(claimed)

    # when a second message for it arrives
    response = sender_function.invoke(sender_function.records(ref(delivery)))

    # then it is acknowledged, not sent, and the claim is untouched
    assert response == {"batchItemFailures": []}
    assert sends_of(stack, delivery.id) == []
    assert repo.get(practice.tenant.id, delivery.id) == claimed


def test_sender_resending_after_a_crash_is_recognised_as_a_duplicate(
    stack: LocalStack, new_practice: Callable[..., Practice], sender_function: SenderFunction
) -> None:
    """Protects: a Sender killed between the external system's 2xx and its own status write does not bill
    twice — the retry first asks the external system about the send with the same Idempotency-Key, learns
    it arrived, and records SENT with the first send's reference without sending again."""
    # given a delivery that was claimed and sent two minutes ago, but whose status write never happened
    practice = new_practice()
    repo = layer_repository()
    crashed_at = utcnow() - timedelta(minutes=2)
    delivery = pending(practice, crashed_at)
    repo.create([delivery])
    claimed = states.attempt(delivery, crashed_at, crashed_at + timedelta(seconds=30))
    repo.save(claimed)
    first = HttpConnector(5.0).send(Parcel(claimed))
    assert first.ok
    [first_send] = sends_of(stack, delivery.id)
    assert first_send["delivered"]
    stale = repo.get(practice.tenant.id, delivery.id)
    assert stale.status is S.PENDING
    assert stale.claimed_until is not None
    assert stale.claimed_until < utcnow()

    # when SQS delivers the message again
    response = sender_function.invoke(sender_function.records(ref(delivery)))

    # then the retry asked with the same key instead of sending, and it ends SENT
    assert response == {"batchItemFailures": []}
    assert sends_of(stack, delivery.id) == [first_send]
    checks = [c for c in stack.external.received()["checks"] if c["idempotency_key"] == str(delivery.id)]
    assert [c["status"] for c in checks] == [200]
    assert len(deliveries_at_external(stack, delivery.id)) == 1
    sent = repo.get(practice.tenant.id, delivery.id)
    assert sent.status is S.SENT
    assert sent.external_reference == first.external_reference == first_send["external_id"]
    assert sent.attempts == 2
    assert history(sent) == ["received", "queued", "sending", "sending", "ebilled"]


def test_sender_fails_permanently_when_a_destination_credential_is_missing(
    stack: LocalStack, new_practice: Callable[..., Practice], sender_function: SenderFunction
) -> None:
    """Protects: a destination whose credential is missing from Parameter Store fails at once with a reason
    an admin can act on, and its message goes to the DLQ (retrying cannot help) — while a destination whose
    credential is there sends normally."""
    ssm: Any = boto3.client("ssm", endpoint_url=stack.aws_endpoint, region_name=REGION)
    practice = new_practice()
    hub = practice.tenant.destinations[0]
    present = f"/invoice-hub/dev/test/{uuid.uuid4().hex}"
    ssm.put_parameter(Name=present, Value="payer-token", Type="SecureString")
    missing = f"/invoice-hub/dev/test/{uuid.uuid4().hex}"
    # given two deliveries to the payer hub, one naming a credential that exists, one a missing one
    now = utcnow()
    with_credential = pending(
        practice,
        now,
        destination=hub.model_copy(update={"name": "hub-with-key", "credential_parameter": present}),
    )
    without = pending(
        practice,
        now,
        destination=hub.model_copy(update={"name": "hub-without-key", "credential_parameter": missing}),
    )
    repo = layer_repository()
    repo.create([with_credential, without])

    # when their messages are delivered
    response = sender_function.invoke(sender_function.records(ref(with_credential), ref(without)))

    # then neither is retried by SQS: one was sent, the other failed for good without a send
    assert response == {"batchItemFailures": []}
    assert repo.get(practice.tenant.id, with_credential.id).status is S.SENT
    assert len(deliveries_at_external(stack, with_credential.id)) == 1
    failed = repo.get(practice.tenant.id, without.id)
    assert (failed.status, failed.failure_kind, failed.attempts) == (S.FAILED, "permanent", 1)
    assert "credentials" in (failed.failed_reason or "")
    assert failed.failed_reason == "credentials of hub-without-key are missing"
    assert sends_of(stack, without.id) == []
    assert sender_function.dlq_holds(failed)
    assert failed in repo.by_status(practice.tenant.id, S.FAILED)
    ssm.delete_parameter(Name=present)


def test_batch_with_a_permanent_rejection_reports_no_item_failures(
    stack: LocalStack,
    new_practice: Callable[..., Practice],
    sender_function: SenderFunction,
    rejecting: RejectingDestination,
) -> None:
    """Protects: in a batch where one destination rejects its invoice (400) and the others accept, the
    accepted ones are sent once, the rejected one is FAILED at once and put in the DLQ by the Sender
    itself, and the handler asks SQS to retry nothing (retrying a 400 would only fail again)."""
    # given a batch of three deliveries to the payer hub and one to a destination that rejects
    practice = new_practice()
    now = utcnow()
    accepted = [pending(practice, now) for _ in range(3)]
    rejected = pending(practice, now, destination=rejecting.destination())
    repo = layer_repository()
    repo.create([*accepted, rejected])

    # when the batch is handled
    records = sender_function.records(ref(accepted[0]), ref(rejected), ref(accepted[1]), ref(accepted[2]))
    response = sender_function.invoke(records)

    # then no record is reported for a retry
    assert response == {"batchItemFailures": []}
    for delivery in accepted:
        assert repo.get(practice.tenant.id, delivery.id).status is S.SENT
        assert len(deliveries_at_external(stack, delivery.id)) == 1
    failed = repo.get(practice.tenant.id, rejected.id)
    assert (failed.status, failed.failure_kind, failed.attempts) == (S.FAILED, "permanent", 1)
    assert failed.failed_reason == "rejected: 400 Bad Request"
    assert rejecting.keys == [str(rejected.id)]
    assert sender_function.dlq_holds(failed)


def test_batch_with_a_transient_failure_reports_that_record_for_a_retry(
    stack: LocalStack,
    new_practice: Callable[..., Practice],
    sender_function: SenderFunction,
    rejecting: RejectingDestination,
    outage: Callable[[str], None],
) -> None:
    """Protects: a send that meets an outage (503) is retried — the handler names exactly its record in
    batchItemFailures, after setting its message's visibility to the short back-off (not SendQueue's
    180 s) — while the batch's other records are acknowledged; once the outage ends it is sent, once."""
    # given a batch: one delivery to the payer hub during an outage, one to a destination that rejects,
    # and a duplicate for a delivery that was sent before the outage
    practice = new_practice()
    now = utcnow()
    repo = layer_repository()
    unlucky, rejected, earlier = (
        pending(practice, now),
        pending(practice, now, destination=rejecting.destination()),
        pending(practice, now),
    )
    repo.create([unlucky, rejected, earlier])
    assert sender_function.invoke(sender_function.records(ref(earlier))) == {"batchItemFailures": []}
    outage("fail")

    # when the batch is handled
    records = sender_function.records(ref(unlucky), ref(rejected), ref(earlier))
    handled_at = time.monotonic()
    response = sender_function.invoke(records)

    # then only the transient failure is reported for a retry ...
    assert response == {"batchItemFailures": [{"itemIdentifier": records[0]["messageId"]}]}
    retrying = repo.get(practice.tenant.id, unlucky.id)
    assert retrying.status is S.PENDING
    assert (retrying.failed_reason or "").startswith("unavailable: 503")
    assert history(retrying)[-1] == "retrying"
    assert repo.get(practice.tenant.id, rejected.id).status is S.FAILED
    assert len(sends_of(stack, earlier.id)) == 1
    # ... and its message comes back after the back-off, long before SendQueue's visibility timeout
    again = sender_function.back_again(records[0]["messageId"], timeout=30)
    assert time.monotonic() - handled_at < 30
    assert again["attributes"]["ApproximateReceiveCount"] == "2"
    # and once the outage is over the pollers send it, exactly once
    outage("ok")
    sender_function.resume()
    wait_for(
        lambda: repo.get(practice.tenant.id, unlucky.id).status is S.SENT,
        what="the retried delivery to be sent",
    )
    assert len(deliveries_at_external(stack, unlucky.id)) == 1


def test_batch_whose_every_record_fails_transiently_is_reported_not_raised(
    stack: LocalStack,
    new_practice: Callable[..., Practice],
    sender_function: SenderFunction,
    outage: Callable[[str], None],
) -> None:
    """Protects: during an outage a whole batch of sends that meet the outage is answered with a partial
    batch response naming every record — a failed send, which the Sender records — not a function error,
    which is what the Sender's error alarm is for."""
    # given one delivery to the payer hub during an outage
    practice = new_practice()
    delivery = pending(practice, utcnow())
    layer_repository().create([delivery])
    outage("fail")

    # when a batch holding only its message is handled
    records = sender_function.records(ref(delivery))
    response = sender_function.invoke(records)

    # then its record is reported for a retry
    assert response == {"batchItemFailures": [{"itemIdentifier": records[0]["messageId"]}]}


def test_overlapping_sender_invocations_keep_their_own_batch_responses(
    stack: LocalStack,
    new_practice: Callable[..., Practice],
    sender_function: SenderFunction,
    outage: Callable[[str], None],
) -> None:
    """Protects the local stack's fidelity, on which the end-to-end sending tests rely: two Sender
    invocations overlapping in one process (as the local pollers make them) each answer for their own
    batch — a slow batch with two transient failures reports exactly those two records."""
    # given a slow outage, and deliveries: two meeting it, three already sent
    practice = new_practice()
    now = utcnow()
    repo = layer_repository()
    meeting_outage = [pending(practice, now) for _ in range(2)]
    already_sent = [pending(practice, now) for _ in range(3)]
    repo.create(meeting_outage + already_sent)
    assert sender_function.invoke(sender_function.records(*map(ref, already_sent))) == {
        "batchItemFailures": []
    }
    stack.external.control("fail", delay_ms=1500)
    outage_batch = sender_function.records(*map(ref, meeting_outage), ref(already_sent[0]))
    quick_batch = sender_function.records(ref(already_sent[1]), ref(already_sent[2]))

    def invoke(records: list[dict[str, Any]], after: float) -> dict[str, Any]:
        time.sleep(after)
        return sender_function.invoke(records)

    # when the quick batch's invocation overlaps the slow one's
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            slow = pool.submit(invoke, outage_batch, 0.0)
            quick = pool.submit(invoke, quick_batch, 0.5)
            results = {"quick": quick.result(DEADLINE), "slow": slow.result(DEADLINE)}
    finally:
        outage("ok")

    # then each answers for its own batch
    assert results["quick"] == {"batchItemFailures": []}
    assert results["slow"] == {
        "batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in outage_batch[:2]]
    }
