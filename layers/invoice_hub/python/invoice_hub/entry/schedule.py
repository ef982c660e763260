"""The EventBridge schedule's entry: one run of the automatic re-drive and due sends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub import metrics
from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.dal.queue_client import send_queue
from invoice_hub.logic.redrive import run_schedule
from invoice_hub.observability import logger


@metrics.flushed
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    settings = get_settings()
    run = run_schedule(
        delivery_repository(settings), send_queue(settings), timedelta(seconds=settings.stuck_after_seconds)
    )
    summary = {"enqueued": len(run.enqueued), "redriven": len(run.redriven), "skipped": run.skipped}
    logger.info("schedule run", extra=summary)
    return summary
