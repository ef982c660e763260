"""The table's stream consumer: each change's facts, as events to the practices' webhooks."""

from invoice_hub.entry.webhook_events import lambda_handler

__all__ = ["lambda_handler"]
