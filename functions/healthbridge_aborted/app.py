"""GET /api/v1/billing/invoices/aborted — the practice's sends that were cancelled (Healthbridge; admins)."""

from typing import Any

from invoice_hub.contracts.healthbridge import facade as healthbridge_api
from invoice_hub.contracts.healthbridge.models import InvoiceSendingStatusVo
from invoice_hub.contracts.http import Response
from invoice_hub.domain.delivery import DeliveryStatus

app = healthbridge_api.resolver()


@app.get(
    "/api/v1/billing/invoices/aborted",
    summary="Return list of invoices whose sending was aborted (available for admins)",
    tags=[healthbridge_api.TAG],
    security=healthbridge_api.SECURITY,
    responses={
        200: {
            "description": "Collection of InvoiceSendingStatusVo",
            "content": healthbridge_api.content(list[InvoiceSendingStatusVo]),
        },
        **healthbridge_api.ERROR_RESPONSES,
    },
)
def aborted() -> Response[Any]:
    return healthbridge_api.list_by_status(app, DeliveryStatus.CANCELLED)


lambda_handler = healthbridge_api.entry_point(app)
