"""GET /v1/webhook/events/{webhook_delivery_attempt_id}/send — sends an event of the caller's practice
again, now: the same id and body, freshly signed; answers what this attempt did
(docs.decodahealth.com/api-reference/external/webhook-event-send)."""

from typing import Annotated
from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.webhooks import WebhookEventDetails
from invoice_hub.contracts.http import Query
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.get(
    "/v1/webhook/events/<webhook_delivery_attempt_id>/send",
    summary="Webhook Event Send",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "An Event in Decoda's system.",
            "content": {"application/json": {"model": WebhookEventDetails}},
        },
        404: fastapi_style.error("No such event in the caller's practice"),
        409: fastapi_style.error("The event is being sent now"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def send(
    webhook_delivery_attempt_id: UUID,
    notify_failure: Annotated[
        bool, Query(description="Notify the webhook owner via email if the event fails to deliver")
    ] = True,
) -> WebhookEventDetails:
    sent = wiring.practice_webhooks().resend(
        decoda_api.tenant(app), webhook_delivery_attempt_id, notify_failure, wiring.sender
    )
    return WebhookEventDetails.of(sent)


lambda_handler = decoda_api.entry_point(app)
