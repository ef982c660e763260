"""PUT /billing/invoice/{invoice_id} — how and when an invoice's next send goes; answers true
(docs.decodahealth.com/api-reference/provider/update-invoice)."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import UpdateInvoiceData
from invoice_hub.domain.delivery import Method
from invoice_hub.entry import wiring
from invoice_hub.logic.delivery_actions import reschedule

app = decoda_api.resolver()


@app.put(
    "/billing/invoice/<id>",
    summary="Update Invoice",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {"description": "Changed", "content": {"application/json": {"schema": {"type": "boolean"}}}},
        404: fastapi_style.error("No such invoice in the caller's practice"),
        409: fastapi_style.error("The invoice has no next send to change (sent, cancelled, or being sent)"),
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def update(id: UUID, data: UpdateInvoiceData) -> bool:
    reschedule(
        wiring.deliveries(),
        wiring.queue(),
        decoda_api.tenant(app),
        id,
        Method(data.method),
        decoda_api.aware(data.sendTime),
    )
    return True


lambda_handler = decoda_api.entry_point(app)
