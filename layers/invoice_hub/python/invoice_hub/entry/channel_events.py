"""ChannelEventsQueue's consumer: what the channels report after a send (SES's e-mail events through
EventBridge, End User Messaging's SMS events through SNS), each applied to its send once
(logic/feedback.py), with partial batch failures.

A record that is not an event this service records (malformed, not one of our sends, an open or a click)
is acknowledged: it will never become one. A store that stays busy fails the record, and SQS delivers it
again after the queue's visibility timeout (then to ChannelEventsDLQ after maxReceiveCount).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub.connectors import ses_events, sms_events
from invoice_hub.entry import wiring
from invoice_hub.observability import logger

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle_record(record: SQSRecord) -> str:
    try:
        event = json.loads(record.body)
    except ValueError:
        logger.warning("channel event is not JSON", extra={"message_id": record.message_id})
        return "ignored"
    told = (ses_events.read(event) or sms_events.read(event)) if isinstance(event, dict) else None
    if told is None:
        kind = event.get("detail-type") if isinstance(event, dict) else None
        logger.info("channel event not recorded", extra={"detail_type": str(kind)})
        return "ignored"
    applied = wiring.feedback().told(told, datetime.now(UTC))
    said = {"delivery_id": str(told.delivery_id), "status": told.status, "applied": applied is not None}
    logger.info("channel event", extra=said)
    return "applied" if applied is not None else "duplicate"


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
    )
