"""POST /v1/webhook/create — a webhook of the caller's practice, with its signing secret (Decoda)."""

from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.webhooks import WebhookCreate, WebhookSummary
from invoice_hub.domain.webhook import EventType
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.post(
    "/v1/webhook/create",
    summary="Webhook Create",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The webhook, with the secret its events are signed with (shown only now)",
            "content": {"application/json": {"model": WebhookSummary}},
        },
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def create(webhook: WebhookCreate) -> WebhookSummary:
    made, secret = wiring.practice_webhooks().create(
        decoda_api.tenant(app),
        webhook.url,
        [EventType(str(s)) for s in webhook.subscriptions],
        webhook.notificationEmail,
    )
    return WebhookSummary.of(made, secret)


lambda_handler = decoda_api.entry_point(app)
