"""GET /v1/webhook/get/{webhook_id} — one webhook of the caller's practice, its secret masked
(docs.decodahealth.com/api-reference/webhooks/webhook-get)."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.webhooks import WebhookSummary
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.get(
    "/v1/webhook/get/<webhook_id>",
    summary="Webhook Get",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {"description": "The webhook", "content": {"application/json": {"model": WebhookSummary}}},
        404: fastapi_style.error("No such webhook in the caller's practice"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def get(webhook_id: UUID) -> WebhookSummary:
    return WebhookSummary.of(wiring.webhooks().get(decoda_api.tenant(app), webhook_id))


lambda_handler = decoda_api.entry_point(app)
