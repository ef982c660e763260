"""Nothing twice on the channels whose providers take no idempotency key (SES, SNS): a Sender killed after
the provider's answer, before it recorded SENT, leaves an unfinished claim; the message's redelivery
finds it and does not e-mail or text again: it fails as "unconfirmed" for a person to decide. A
provider that takes the delivery id as its key (Stripe) is asked again with the same key instead: its
replay is recorded, and the charge is paid once."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from invoice_hub.connectors.base import Connector, Parcel, SendResult, StatusCheck
from invoice_hub.dal.queue_client import DeliveryRef, SendQueue
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Method
from invoice_hub.entry import wiring
from invoice_hub.logic.delivering import SendPolicy
from invoice_hub.logic.outbox import new_delivery
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body
from tests.senders import sender_with

pytestmark = pytest.mark.e2e


class Killed(Exception):
    """The Sender's process died right after the provider answered."""


class KilledAfterTheAnswer:
    """The real connector, whose Sender dies once the provider has answered (the send happened)."""

    def __init__(self, real: Connector) -> None:
        self.real = real
        self.idempotent = real.idempotent

    def credential_name(self, delivery: Delivery) -> str | None:
        return self.real.credential_name(delivery)

    def status(self, parcel: Parcel) -> StatusCheck:
        return self.real.status(parcel)

    def send(self, parcel: Parcel) -> SendResult:
        result = self.real.send(parcel)
        assert result.ok, result.reason
        raise Killed(str(parcel.delivery.id))


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def private_queue(stack: LocalStack) -> Iterator[SendQueue]:
    sqs = stack.client("sqs")
    suffix = uuid.uuid4().hex[:10]
    dlq = sqs.create_queue(QueueName=f"once-dlq-{suffix}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=f"once-{suffix}")["QueueUrl"]
    yield SendQueue(url, dlq, arn)
    for queue in (url, dlq):
        sqs.delete_queue(QueueUrl=queue)


def an_issued_invoice_for(http: httpx.Client, practice: Practice, **contact: Any) -> dict[str, Any]:
    patient = str(uuid.uuid4())
    phone = f"+1555{uuid.uuid4().int % 10**6:06d}1"  # this test's own; never ending in 99 (opted out)
    given = {"first_name": "Ann", "email": "ann@patient.example", "phone": phone, "card": "pm_card_visa"}
    kept = http.put(f"/patient/{patient}/contact", json={**given, **contact}, headers=practice.headers)
    assert kept.status_code == 200, kept.text
    body = invoice_body(
        patient_id=patient, status="ISSUED", items=[{"description": "Visit", "unit_price": 80}]
    )
    created = http.post("/invoice/", json=body, headers=practice.headers)
    assert created.status_code == 201, created.text
    return {**created.json(), "phone": phone}


def a_delivery(practice: Practice, invoice: dict[str, Any], method: Method, clock: Clock) -> Delivery:
    assert practice.tenant.patient_channel is not None
    delivery = new_delivery(
        tenant_id=practice.tenant.id,
        destination=practice.tenant.patient_channel,
        method=method,
        now=clock(),
        stuck_after=timedelta(minutes=15),
        invoice_ids=(uuid.UUID(invoice["id"]),),
        amount_cents=8000,
        patient_id=uuid.UUID(invoice["patient_id"]),
        message="Hi {first_name}",
    )
    wiring.deliveries().create([delivery])  # not enqueued: only this test's Senders see it
    return delivery


def outbox(stack: LocalStack, delivery: Delivery, phone: str) -> list[dict[str, Any]]:
    """What the patient got for this delivery (a text by its number: SNS keeps no id of ours)."""
    messages = httpx.get(f"{stack.external.url}/_outbox").json()["messages"]
    if delivery.method is Method.SMS:
        return [m for m in messages if m["channel"] == "SMS" and m["to"] == phone]
    return [m for m in messages if m["delivery_id"] == str(delivery.id)]


POLICY = SendPolicy(
    max_receive_count=5,
    backoff_seconds=1,
    claim_seconds=30,
    dlq_retention=timedelta(days=14),
    stuck_after=timedelta(minutes=15),
)


def killed_then_redelivered(
    private_queue: SendQueue, delivery: Delivery, clock: Clock
) -> tuple[Callable[[], Any], DeliveryRef]:
    ref = DeliveryRef(delivery.tenant_id, delivery.id)
    dying = sender_with(wiring.deliveries(), private_queue, POLICY, clock)
    real = dying.channels.connector(delivery.method)
    assert real is not None
    dying.channels.built[delivery.method] = KilledAfterTheAnswer(real)
    with pytest.raises(Killed):
        dying.handle(ref, 1)
    clock.now += timedelta(seconds=POLICY.claim_seconds + 1)  # the claim expired: SQS redelivers
    again = sender_with(wiring.deliveries(), private_queue, POLICY, clock)
    return lambda: again.handle(ref, 2), ref


@pytest.mark.parametrize("method", [Method.EMAIL, Method.SMS])
def test_a_sender_killed_after_ses_or_sns_answered_does_not_send_again(
    stack: LocalStack, http: httpx.Client, practice: Practice, private_queue: SendQueue, method: Method
) -> None:
    clock = Clock()
    invoice = an_issued_invoice_for(http, practice)
    delivery = a_delivery(practice, invoice, method, clock)
    redeliver, ref = killed_then_redelivered(private_queue, delivery, clock)
    assert len(outbox(stack, delivery, invoice["phone"])) == 1  # the provider has it

    attempt = redeliver()

    assert attempt.outcome == "rejected"
    assert len(outbox(stack, delivery, invoice["phone"])) == 1  # not e-mailed or texted twice
    failed = wiring.deliveries().get(ref.tenant_id, ref.delivery_id)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.failed_reason is not None
    assert failed.failed_reason.startswith("unconfirmed: an earlier attempt may have reached the patient")


def test_a_sender_killed_after_stripe_answered_records_the_replay_and_pays_once(
    stack: LocalStack, http: httpx.Client, practice: Practice, private_queue: SendQueue
) -> None:
    clock = Clock()
    invoice = an_issued_invoice_for(http, practice)
    delivery = a_delivery(practice, invoice, Method.CHARGE_CARD, clock)
    redeliver, ref = killed_then_redelivered(private_queue, delivery, clock)

    attempt = redeliver()
    assert attempt.outcome == "sent", wiring.deliveries().get(ref.tenant_id, ref.delivery_id).failed_reason

    assert len(outbox(stack, delivery, invoice["phone"])) == 1  # one charge: the second is Stripe's replay
    paid = http.get(f"/invoice/{invoice['id']}", headers=practice.headers).json()
    assert (paid["status"], paid["paid_amount"]) == ("PAID", 80)
    assert wiring.deliveries().get(ref.tenant_id, ref.delivery_id).status is DeliveryStatus.SENT
    # a duplicate message changes nothing more
    again = sender_with(wiring.deliveries(), private_queue, POLICY, clock)
    assert again.handle(ref, 3).outcome == "skipped"
    assert http.get(f"/invoice/{invoice['id']}", headers=practice.headers).json() == paid


def test_a_send_for_an_invoice_paid_meanwhile_is_not_made(
    stack: LocalStack, http: httpx.Client, practice: Practice, private_queue: SendQueue
) -> None:
    """The Sender's own guard, for what no payment path stopped (a send billing several invoices is
    indexed under its first): nothing owed, nothing sent, and the method is not counted as tried."""
    invoice = an_issued_invoice_for(http, practice)
    clock = Clock()
    delivery = a_delivery(practice, invoice, Method.EMAIL, clock)
    paid = {k: invoice[k] for k in ("patient_id", "status", "items", "tags")} | {"paid_amount": 80}
    assert http.put(f"/invoice/{invoice['id']}", json=paid, headers=practice.headers).status_code == 200
    # the update stopped the send already; put it back as the Sender would find it had that been missed
    current = wiring.deliveries().get(delivery.tenant_id, delivery.id)
    assert current.status is DeliveryStatus.CANCELLED
    wiring.deliveries().save(delivery.model_copy(update={"version": current.version + 1}))
    attempt = sender_with(wiring.deliveries(), private_queue, POLICY, clock).handle(
        DeliveryRef(delivery.tenant_id, delivery.id), 1
    )
    assert attempt.outcome == "stopped"
    stopped = wiring.deliveries().get(delivery.tenant_id, delivery.id)
    assert (stopped.status, stopped.methods_attempted) == (DeliveryStatus.CANCELLED, ())
    assert stopped.history[-1].detail == "nothing is owed: the invoice is PAID"
    assert outbox(stack, delivery, invoice["phone"]) == []
