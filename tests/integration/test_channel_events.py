"""ChannelEventsFunction as Lambda runs it: SQS records carrying SES's e-mail events (EventBridge's
envelope), each applied to its send once, whatever SQS or EventBridge delivers twice."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Destination, HistoryEntry, Method, Plan
from invoice_hub_local.lambda_runtime import invoke
from invoice_hub_local.stack import LocalStack

CHANNEL = Destination(
    name="patient", kind="patient_channel", method=Method.EMAIL, endpoint_url="http://x.invalid"
)


def sent_email(plan: Plan | None = None) -> Delivery:
    now = datetime.now(UTC)
    delivery = Delivery(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        submission_id=uuid.uuid4(),
        destination=CHANNEL,
        method=Method.EMAIL,
        methods_attempted=(Method.EMAIL,),
        status=DeliveryStatus.SENT,
        sent_at=now,
        plan=plan,
        history=(HistoryEntry(status="sent", at=now),),
        created_at=now,
        updated_at=now,
    )
    delivery_repository(get_settings()).create([delivery])
    return delivery


def ses_event(delivery: Delivery, kind: str, detail_type: str, fact: dict[str, Any]) -> dict[str, Any]:
    mail = {
        "timestamp": "2026-12-06T10:00:00.000Z",
        "messageId": f"0100-{delivery.id.hex}",
        "destination": ["someone@patient.example"],
        "tags": {
            "ses:configuration-set": ["invoice-hub-local-invoices"],
            "delivery_id": [str(delivery.id)],
            "tenant_id": [str(delivery.tenant_id)],
        },
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),  # EventBridge's own id: a redelivery may carry another
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2026-12-06T10:00:01Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"eventType": kind, "mail": mail, kind[0].lower() + kind[1:]: fact},
    }


def records(*bodies: dict[str, Any] | str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:invoice-hub-local-channel-events",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


@pytest.fixture
def handler(stack: LocalStack) -> Any:
    spec = stack.stack.functions["ChannelEventsFunction"]
    return lambda event: invoke(spec, event)


def test_a_delivery_told_twice_is_one_history_entry(handler: Any) -> None:
    delivery = sent_email()
    event = ses_event(delivery, "Delivery", "Email Delivered", {"timestamp": "2026-12-06T10:00:02.000Z"})
    again = {**event, "id": str(uuid.uuid4())}
    assert handler(records(event, again)) == {"batchItemFailures": []}
    assert handler(records(event)) == {"batchItemFailures": []}
    stored = delivery_repository(get_settings()).get(delivery.tenant_id, delivery.id)
    told = [entry for entry in stored.history if entry.status == "delivered"]
    assert [(entry.source, entry.detail) for entry in told] == [("SES", None)]
    assert stored.channel_statuses == {"EMAIL": "DELIVERED"}
    assert stored.status is DeliveryStatus.SENT


def test_a_bounce_of_the_last_method_fails_the_send_with_its_reason(handler: Any) -> None:
    delivery = sent_email()
    bounce = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-12-06T10:00:02.000Z"}
    handler(records(ses_event(delivery, "Bounce", "Email Bounced", bounce)))
    stored = delivery_repository(get_settings()).get(delivery.tenant_id, delivery.id)
    assert (stored.status, stored.failed_reason) == (
        DeliveryStatus.FAILED,
        "EMAIL bounced: Permanent / General",
    )
    assert stored.channel_statuses == {"EMAIL": "BOUNCED"}
    assert "someone@patient.example" not in stored.model_dump_json()  # the address is not kept


def test_a_complaint_moves_a_rule_on(handler: Any) -> None:
    plan = Plan(methods=(Method.EMAIL, Method.CALL), delay_seconds=86400)
    delivery = sent_email(plan)
    complaint = {"complaintFeedbackType": "abuse", "timestamp": "2026-12-06T10:00:02.000Z"}
    handler(records(ses_event(delivery, "Complaint", "Email Complaint Received", complaint)))
    stored = delivery_repository(get_settings()).get(delivery.tenant_id, delivery.id)
    assert (stored.status, stored.method) == (DeliveryStatus.PENDING, Method.CALL)
    assert stored.send_time is not None
    assert stored.send_time <= datetime.now(UTC) + timedelta(seconds=1)  # at once, not a day later


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"source": "aws.ses", "detail-type": "Email Opened", "detail": {"eventType": "Open", "mail": {}}},
        {"source": "aws.ec2", "detail": {}},
        {
            "source": "aws.ses",
            "detail-type": "Email Delivered",
            "detail": {"eventType": "Delivery", "mail": {}},
        },
    ],
    ids=["not-json", "an-open", "not-ses", "no-tags"],
)
def test_what_names_no_send_is_acknowledged_and_changes_nothing(handler: Any, body: Any) -> None:
    assert handler(records(body)) == {"batchItemFailures": []}


def test_a_late_word_does_not_undo_a_later_one(handler: Any) -> None:
    delivery = sent_email()
    delivered = ses_event(delivery, "Delivery", "Email Delivered", {"timestamp": "2026-12-06T10:00:02.000Z"})
    accepted = ses_event(delivery, "Send", "Email Sent", {})
    handler(records(delivered, accepted))  # SES's "sent" arrives after its "delivered"
    stored = delivery_repository(get_settings()).get(delivery.tenant_id, delivery.id)
    assert stored.channel_statuses == {"EMAIL": "DELIVERED"}
    assert [entry.status for entry in stored.history][-2:] == ["delivered", "accepted"]  # both facts kept


def test_an_event_for_a_send_under_way_comes_back_later(handler: Any) -> None:
    delivery = sent_email()
    repo = delivery_repository(get_settings())
    now = datetime.now(UTC)
    claimed = delivery.model_copy(
        update={"status": DeliveryStatus.PENDING, "claimed_until": now + timedelta(seconds=30), "version": 2}
    )
    repo.save(claimed)
    bounce = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-12-06T10:00:02.000Z"}
    answer = handler(records(ses_event(delivery, "Bounce", "Email Bounced", bounce)))
    assert len(answer["batchItemFailures"]) == 1  # SQS delivers it again once the send is recorded
    assert repo.get(delivery.tenant_id, delivery.id).channel_statuses == {}
