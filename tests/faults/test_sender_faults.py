"""The Sender under faults: DynamoDB throttling around a send, and a Sender killed between the external
system's 2xx and its status write.

What a payer or patient relies on: whatever fails around a send, the invoice reaches them exactly once —
the external system records one delivery, the Sender never posts it twice, and the delivery's history
shows its outcome once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import boto3
import httpx
import pytest

from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import DeliveryRepository, delivery_repository
from invoice_hub.dal.queue_client import DeliveryRef, send_queue
from invoice_hub.domain.delivery import Delivery, DeliveryStatus
from invoice_hub.entry.wiring import sender
from invoice_hub.logic.delivering import SendPolicy
from invoice_hub.logic.outbox import new_delivery
from invoice_hub_local.provision import REGION
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body
from tests.faults.conftest import CODES, Throttle, persistent
from tests.polling import wait_for
from tests.report import tried
from tests.senders import sender_with

S = DeliveryStatus


def posts(stack: LocalStack, delivery_id: UUID) -> list[dict[str, Any]]:
    """Every send (POST) the external systems received for the delivery (its id is the Idempotency-Key)."""
    return [s for s in stack.external.received()["received"] if s["idempotency_key"] == str(delivery_id)]


def checks(stack: LocalStack, delivery_id: UUID) -> list[dict[str, Any]]:
    return [c for c in stack.external.received()["checks"] if c["idempotency_key"] == str(delivery_id)]


def delivered(stack: LocalStack, delivery_id: UUID) -> int:
    return sum(1 for s in posts(stack, delivery_id) if s["delivered"] and not s["duplicate"])


def outcomes(delivery: Delivery) -> list[str]:
    return [e.status for e in delivery.history if e.status in ("ebilled", "sent", "failed")]


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


# == DynamoDB throttling around a send =================================================================
def test_a_send_whose_store_is_throttled_is_delivered_once(
    stack: LocalStack, throttle: Throttle, new_practice: Callable[..., Practice]
) -> None:
    """Each DynamoDB call of a send (read, claim, outcome) throttled on every attempt: the attempt ends as
    a retry of the message (never an error), and the retry — after the back-off the Sender asked for —
    records SENT with one delivery at the external system and one POST, whichever call was throttled."""
    practice = new_practice()
    settings = get_settings()
    repo = delivery_repository(settings)
    clock = Clock()
    policy = SendPolicy(
        max_receive_count=5,
        backoff_seconds=1,
        claim_seconds=30,
        dlq_retention=timedelta(days=14),
        stuck_after=timedelta(seconds=settings.stuck_after_seconds),
    )
    sending = sender_with(repo, send_queue(settings), policy, clock)

    def fresh() -> Delivery:
        destination = practice.tenant.destinations[0]
        delivery = new_delivery(
            tenant_id=practice.tenant.id,
            destination=destination,
            method=destination.method,
            now=clock(),
            stuck_after=policy.stuck_after,
            invoice_ids=(uuid.uuid4(),),
            amount_cents=4200,
        )
        repo.create([delivery])  # not enqueued: only this test's Sender sees it
        return delivery

    # given the calls of an unthrottled send
    throttle.reset()
    reference = fresh()
    throttle.reset()
    assert sending.handle(DeliveryRef(practice.tenant.id, reference.id), 1).outcome == "sent"
    calls = throttle.operations()
    assert calls == ["GetItem", "PutItem", "PutItem"]  # read, claim, outcome

    seen: list[str] = []
    for index, operation in enumerate(calls):
        for code in CODES:
            delivery = fresh()
            ref = DeliveryRef(practice.tenant.id, delivery.id)
            # when that call is throttled on every attempt
            throttle.reset(persistent(operation, calls[:index].count(operation), code))
            first = sending.handle(ref, 1)
            # then the attempt asks SQS for a retry, and at most one delivery reached the external system
            assert first.outcome == "retry"
            assert first.backoff_seconds >= 1
            assert delivered(stack, delivery.id) <= 1
            throttle.reset()
            middle = repo.get(practice.tenant.id, delivery.id)
            seen.append(f"{index}:{middle.status}{'/claimed' if middle.claimed_until else ''}")
            # and when the message comes back after that back-off, it is sent — once
            clock.now += timedelta(seconds=first.backoff_seconds)
            assert sending.handle(ref, 2).outcome == "sent"
            final = repo.get(practice.tenant.id, delivery.id)
            assert final.status is S.SENT
            assert outcomes(final) == ["ebilled"]
            assert delivered(stack, delivery.id) == 1
            # after a send that may have arrived, the Sender asked instead of posting again
            assert len(posts(stack, delivery.id)) == 1
    assert any(s.endswith("/claimed") for s in seen), seen  # the outcome write was throttled after a 2xx
    tried(
        "faults",
        f"throttled send: {len(calls)} DynamoDB calls ({', '.join(calls)}) x {len(CODES)} codes, each on "
        f"every attempt → {len(seen)} retries, then {len(seen)} SENT, 1 delivery and 1 POST each",
    )


# == a Sender killed between the external 2xx and its status write ======================================
class Killed(Exception):
    """The Sender dies (a Lambda timeout, an out-of-memory kill) after the external system's 2xx."""


@pytest.fixture
def quick_redelivery(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    """SendQueue's visibility timeout and the Sender's claim shortened, in the template's proportion (the
    visibility outlasts the claim: 180 s and 30 s), so SQS redelivers a dead Sender's message in seconds."""
    sqs: Any = boto3.client("sqs", endpoint_url=stack.aws_endpoint, region_name=REGION)
    url = stack.environment["SEND_QUEUE_URL"]
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    visibility = 3
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(visibility)})
    running = sender()
    monkeypatch.setattr(running, "policy", replace(running.policy, claim_seconds=1))
    try:
        with stack.schedule_paused():
            yield float(visibility)
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": before["VisibilityTimeout"]})


def test_a_sender_killed_after_the_external_2xx_does_not_send_twice(
    stack: LocalStack,
    http: httpx.Client,
    new_practice: Callable[..., Practice],
    quick_redelivery: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end: an issued invoice's send reaches the payer hub, and the Sender dies before writing SENT.
    SQS delivers the message again after its visibility timeout; the next Sender finds the unfinished
    claim, asks the hub about the send with the same Idempotency-Key, learns it arrived, and records SENT
    with the hub's reference — one delivery, one POST, the outcome once in the history."""
    practice = new_practice()
    repo: DeliveryRepository = sender().repo
    save = repo.save
    killed: list[UUID] = []

    def save_or_die(delivery: Delivery) -> None:
        if delivery.tenant_id == practice.tenant.id and delivery.status is S.SENT and not killed:
            killed.append(delivery.id)
            raise Killed("the Sender died after the payer hub's 2xx, before its status write")
        save(delivery)

    monkeypatch.setattr(repo, "save", save_or_die)

    # given an issued invoice, whose send the Sender dies in the middle of
    response = http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=practice.headers)
    assert response.status_code == 201, response.text
    invoice_id = UUID(response.json()["id"])
    wait_for(lambda: killed, "the Sender to send and die")
    delivery_id = killed[0]
    died_at = datetime.now(UTC)
    assert delivered(stack, delivery_id) == 1
    interrupted = repo.get(practice.tenant.id, delivery_id)
    assert interrupted.status is S.PENDING
    assert interrupted.claimed_until is not None

    # when SQS delivers its message again, after the visibility timeout
    def settled() -> Delivery | None:
        current = repo.get(practice.tenant.id, delivery_id)
        return current if current.status is S.SENT else None

    sent = wait_for(settled, "the redelivered message to settle the send")
    took = (datetime.now(UTC) - died_at).total_seconds()

    # then the payer hub was asked, not sent to again, and the history shows the outcome once
    [first] = posts(stack, delivery_id)
    assert first["delivered"]
    assert not first["duplicate"]
    assert [c["status"] for c in checks(stack, delivery_id)] == [200]
    assert sent.external_reference == first["external_id"]
    assert outcomes(sent) == ["ebilled"]
    assert [e.status for e in sent.history] == ["received", "queued", "sending", "sending", "ebilled"]
    assert sent.history[-1].detail == f"{sent.system} already had it"
    assert sent.attempts == 2
    assert [d.id for d in repo.of_invoice(practice.tenant.id, invoice_id)] == [delivery_id]
    tried(
        "faults",
        f"Sender killed after the external 2xx: redelivered after {took:.1f} s (visibility "
        f"{quick_redelivery:.0f} s), 1 status check, 1 POST, 1 delivery, outcome once in the history",
    )
