"""The EventBridge schedule's entry: one run of the automatic re-drive and due sends."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from invoice_hub import metrics
from invoice_hub.entry import wiring
from invoice_hub.logic.redrive import run_schedule
from invoice_hub.observability import logger


@metrics.flushed
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    run = run_schedule(wiring.deliveries(), wiring.queue(), wiring.stuck_after())
    summary = {"enqueued": len(run.enqueued), "redriven": len(run.redriven), "skipped": run.skipped}
    logger.info("schedule run", extra=summary)
    return summary
