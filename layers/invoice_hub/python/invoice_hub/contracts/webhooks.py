"""The providers' webhook endpoints (`POST /webhooks/<provider>`): what each answers, whatever the
provider. A provider's event is verified first (its signature, its age); an unsigned, wrongly signed,
stale or malformed one is a 400 with `{"error"}` and changes nothing. A verified event is applied once
(logic/feedback.py, logic/payments.py) and answered 200, also when it adds nothing (a duplicate, a kind
not recorded): the provider stops sending it. A busy store is a 503 with Retry-After: the provider sends
it again later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from invoice_hub.connectors.base import ChannelEvent
from invoice_hub.connectors.stripe_events import Unauthentic, text_of
from invoice_hub.contracts import responses
from invoice_hub.contracts.http import json_response
from invoice_hub.domain.errors import ServiceBusy
from invoice_hub.entry import wiring
from invoice_hub.observability import logger

TAG = "Webhooks"


class WebhookReceived(BaseModel):
    received: bool = Field(description="Always true: the provider need not send this event again")
    recorded: bool = Field(description="Whether it changed anything (false: told before, or not recorded)")


class WebhookError(BaseModel):
    error: str = Field(description="Why the event was refused (nothing changed)")


RESPONSES: dict[int, OpenAPIResponse] = {
    200: responses.body(WebhookReceived, "The event was taken (recorded, or nothing to record)"),
    400: responses.body(WebhookError, "Unsigned, wrongly signed, stale, or not an event: nothing changed"),
    503: responses.body(
        WebhookError,
        "The store is busy: the provider sends the event again later",
        with_headers=responses.RETRY_AFTER,
    ),
}
Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def resolver() -> APIGatewayRestResolver:
    return APIGatewayRestResolver(enable_validation=True)


def entry_point(app: APIGatewayRestResolver) -> Handler:
    handler: Handler = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)(
        app.resolve
    )
    return handler


def payload_of(app: APIGatewayRestResolver) -> str:
    """The request body as the provider sent it (UTF-8 JSON); Unauthentic for anything else."""
    event = app.current_event
    return text_of(event.body, bool(event.is_base64_encoded))


def receive(
    provider: str,
    verify: Callable[[], dict[str, Any]],
    record: Callable[[dict[str, Any]], bool],
) -> Response[Any]:
    """`verify()` the request into its event, `record(event)` it (True: it changed something)."""
    try:
        event = verify()
    except Unauthentic as refusal:
        logger.warning("provider event refused", extra={"provider": provider, "reason": str(refusal)})
        return json_response(400, {"error": str(refusal)})
    try:
        recorded = record(event)
    except ServiceBusy as busy:
        return json_response(503, {"error": busy.message}, {"Retry-After": str(busy.retry_after)})
    logger.info(
        "provider event", extra={"provider": provider, "event_id": event.get("id"), "recorded": recorded}
    )
    return json_response(200, {"received": True, "recorded": recorded})


def channel_event(read: Callable[[dict[str, Any]], ChannelEvent | None]) -> Callable[[dict[str, Any]], bool]:
    """Records what a channel's provider told of a send (None from `read`: nothing to record)."""

    def record(event: dict[str, Any]) -> bool:
        told = read(event)
        return told is not None and wiring.feedback().told(told, datetime.now(UTC)) is not None

    return record
