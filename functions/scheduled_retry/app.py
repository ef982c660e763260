"""EventBridge schedule: re-drives transient failures, sends due scheduled sends, re-enqueues stuck ones."""

from invoice_hub.entry.schedule import lambda_handler

__all__ = ["lambda_handler"]
