"""GET /v1/webhook/list — the caller's practice's webhooks (docs.decodahealth.com/api-reference/webhooks/
webhook-list); a secret is shown only when its webhook is created, so `secret` is masked here."""

from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.webhooks import WebhookSummary
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.get(
    "/v1/webhook/list",
    summary="Webhook List",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The practice's webhooks, oldest first",
            "content": {"application/json": {"model": list[WebhookSummary]}},
        },
        **decoda_api.ERROR_RESPONSES,
    },
)
def webhooks() -> list[WebhookSummary]:
    found = wiring.webhooks().of_tenant(decoda_api.tenant(app))
    return [WebhookSummary.of(webhook) for webhook in sorted(found, key=lambda w: w.created_at)]


lambda_handler = decoda_api.entry_point(app)
