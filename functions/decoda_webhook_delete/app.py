"""DELETE /v1/webhook/delete/{webhook_id} — no more events to this webhook; answers true
(docs.decodahealth.com/api-reference/webhooks/webhook-delete). Its events not yet delivered fail, saying
the webhook was deleted."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.delete(
    "/v1/webhook/delete/<webhook_id>",
    summary="Webhook Delete",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {"description": "Deleted", "content": {"application/json": {"schema": {"type": "boolean"}}}},
        404: fastapi_style.error("No such webhook in the caller's practice"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def delete(webhook_id: UUID) -> bool:
    wiring.webhooks().delete(decoda_api.tenant(app), webhook_id)
    return True


lambda_handler = decoda_api.entry_point(app)
