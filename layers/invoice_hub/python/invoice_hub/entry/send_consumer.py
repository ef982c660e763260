"""SendQueue's consumer: a Powertools batch processor whose records are sent concurrently.

Each record's outcome becomes what SQS should do with its message: acknowledged (sent, skipped, or a
permanent failure the Sender already put in the DLQ), or reported as a batch item failure after
its visibility was set to the back-off (a transient failure), or to 0 on its last receive so that SQS
moves it to the DLQ at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub import metrics
from invoice_hub.dal.queue_client import DeliveryRef
from invoice_hub.entry import wiring
from invoice_hub.observability import logger

#: the batch size of the event source mapping: every record of a batch is sent at once
CONCURRENCY = 10


class SendLater(Exception):
    """The record's send failed transiently; SQS delivers its message again after the back-off."""


class ConcurrentBatchProcessor(BatchProcessor):
    """Powertools' SQS batch processor, with the records of a batch handled in parallel threads (the
    sends wait on the network; one shared httpx client serves them all)."""

    def process(self) -> list[tuple[Any, ...]]:
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            results = list(pool.map(self._process_record, self.records))
        # failures in the batch's order, whatever order the threads finished in
        order = {record["messageId"]: n for n, record in enumerate(self.records)}
        self.fail_messages.sort(key=lambda record: order.get(getattr(record, "message_id", ""), len(order)))
        return results


def handle_record(record: SQSRecord) -> str:
    ref = DeliveryRef.parse(record.body)
    receives = int(record.attributes.approximate_receive_count)
    attempt = wiring.sender().handle(ref, receives)
    logger.info(
        "send outcome",
        extra={"delivery_id": str(ref.delivery_id), "outcome": attempt.outcome, "receive_count": receives},
    )
    if attempt.outcome == "retry":
        wiring.queue().back_off(record.receipt_handle, attempt.backoff_seconds)
        raise SendLater(f"retry in {attempt.backoff_seconds}s")
    if attempt.outcome == "exhausted":
        wiring.queue().back_off(record.receipt_handle, 0)
        raise SendLater("receives exhausted: to the DLQ")
    return attempt.outcome


@metrics.flushed
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A batch whose every record failed is still a partial batch response, not a function error: an
    # outage of an external system is not a failure of the Sender (the SenderErrors alarm is for those).
    processor = ConcurrentBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
    return dict(response)
