"""Renders an invoice's PDF for the functions that serve or send it (Lambda Invoke, RequestResponse)."""

from invoice_hub.entry.render import lambda_handler

__all__ = ["lambda_handler"]
