"""PUT /v1/webhook/update/{webhook_id} — a webhook's URL, subscriptions or notification e-mail; a field
left out is kept (docs.decodahealth.com/api-reference/webhooks/webhook-update). Events already made keep
the URL they were made for."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.webhooks import WebhookSummary, WebhookUpdate
from invoice_hub.domain.webhook import EventType
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.put(
    "/v1/webhook/update/<webhook_id>",
    summary="Webhook Update",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The webhook as changed",
            "content": {"application/json": {"model": WebhookSummary}},
        },
        404: fastapi_style.error("No such webhook in the caller's practice"),
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def update(webhook_id: UUID, webhook: WebhookUpdate) -> WebhookSummary:
    changed = wiring.practice_webhooks().update(
        decoda_api.tenant(app),
        webhook_id,
        webhook.url,
        [EventType(str(s)) for s in webhook.subscriptions] if webhook.subscriptions is not None else None,
        webhook.notificationEmail,
        clear_email="notificationEmail" in webhook.model_fields_set,
    )
    return WebhookSummary.of(changed)


lambda_handler = decoda_api.entry_point(app)
