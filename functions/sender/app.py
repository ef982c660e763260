"""SendQueue consumer: sends each delivery a message names, with partial batch failures."""

from invoice_hub.entry.send_consumer import lambda_handler

__all__ = ["lambda_handler"]
