"""The table's stream consumer: the facts each change tells, to the webhooks subscribed to them
(logic/webhooks.py).

Records are read in order per shard; a record whose events could not be made (the store busy) is
reported as the batch's failure from its sequence number on, and Lambda reads it again from there
(then, after the mapping's retries, the record's place goes to WebhookEventsDLQ). Making an event is
idempotent, so a record read again makes nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub.contracts.decoda.webhooks import data_of
from invoice_hub.dal.changes import change_of
from invoice_hub.entry import wiring
from invoice_hub.logic.webhooks import facts_of
from invoice_hub.observability import logger

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def handle_record(record: DynamoDBRecord) -> int:
    change = change_of(record.raw_event)
    facts = facts_of(change) if change is not None else []
    if not facts:
        return 0
    made = wiring.webhook_fanout(data_of).publish(facts)
    logger.info(
        "webhook events",
        extra={"facts": [str(f.type) for f in facts], "events": [str(d.id) for d in made]},
    )
    return len(made)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
    )
