"""ChannelEventsQueue consumer: SES's e-mail events (through EventBridge), applied to their sends."""

from invoice_hub.entry.channel_events import lambda_handler

__all__ = ["lambda_handler"]
