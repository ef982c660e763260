"""POST /api/v1/{practiceid}/billing/invoices/{invoiceId}/cancel — cancels an invoice's unsent sends."""

from typing import Any
from uuid import UUID

from invoice_hub.contracts.healthbridge import facade as healthbridge_api
from invoice_hub.contracts.healthbridge.models import RestApiResult
from invoice_hub.contracts.http import Response
from invoice_hub.entry import wiring
from invoice_hub.logic.delivery_actions import cancel_invoice

app = healthbridge_api.resolver()


@app.post(
    "/api/v1/<practiceid>/billing/invoices/<invoiceId>/cancel",
    summary="Cancel sending an invoice (its pending, paused or failed sends)",
    tags=[healthbridge_api.TAG],
    security=healthbridge_api.SECURITY,
    responses={
        200: {
            "description": "RestApiResult whose Data is the invoice id",
            "content": healthbridge_api.content(RestApiResult[UUID]),
        },
        **healthbridge_api.INVALID_PARAMETER,
        404: healthbridge_api.error("Another practice, or an invoice with no sends"),
        **healthbridge_api.ERROR_RESPONSES,
    },
)
def cancel(practiceid: UUID, invoiceId: UUID) -> Response[Any]:
    tenant_id = healthbridge_api.practice(app, practiceid)
    cancelled = cancel_invoice(wiring.deliveries(), tenant_id, invoiceId)
    body = RestApiResult[UUID](
        Sucess=True,
        ResponseCode=200,
        ResponseMessage=f"{len(cancelled)} pending, paused or failed sends of the invoice cancelled",
        Data=invoiceId,
    )
    return healthbridge_api.respond(app, body)


lambda_handler = healthbridge_api.entry_point(app)
