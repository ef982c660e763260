"""SendQueue consumer: sends each delivery a message names, with partial batch failures."""

from invoice_hub.api.send_queue import lambda_handler

__all__ = ["lambda_handler"]
