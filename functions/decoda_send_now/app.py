"""PUT /billing/invoice/{id}/send-now — sends a scheduled, resumed or failed invoice now (Decoda)."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import InvoiceDetails
from invoice_hub.entry import wiring
from invoice_hub.logic.delivery_actions import send_now

app = decoda_api.resolver()


@app.put(
    "/billing/invoice/<id>/send-now",
    summary="Send Now",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The invoice, queued",
            "content": {"application/json": {"model": InvoiceDetails}},
        },
        404: fastapi_style.error("No such invoice in the caller's practice"),
        409: fastapi_style.error("The invoice was already sent, paused or cancelled"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def send(id: UUID) -> InvoiceDetails:
    return decoda_api.details(send_now(wiring.deliveries(), wiring.queue(), decoda_api.tenant(app), id))


lambda_handler = decoda_api.entry_point(app)
