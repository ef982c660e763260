"""GET /v1/webhook/events/{webhook_delivery_attempt_id} — one event of the caller's practice, with what
became of it (docs.decodahealth.com/api-reference/webhooks/webhook-event-get)."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.webhooks import WebhookEventDetails
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.get(
    "/v1/webhook/events/<webhook_delivery_attempt_id>",
    summary="Webhook Event Get",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "An Event in Decoda's system.",
            "content": {"application/json": {"model": WebhookEventDetails}},
        },
        404: fastapi_style.error("No such event in the caller's practice"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def event(webhook_delivery_attempt_id: UUID) -> WebhookEventDetails:
    found = wiring.practice_webhooks().event(decoda_api.tenant(app), webhook_delivery_attempt_id)
    return WebhookEventDetails.of(found)


lambda_handler = decoda_api.entry_point(app)
