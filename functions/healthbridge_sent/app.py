"""GET /api/v1/billing/invoices/sent/sentDate/{sentDate} — sends made on a UTC date (admins)."""

from typing import Any

from invoice_hub.contracts.healthbridge import facade as healthbridge_api
from invoice_hub.contracts.healthbridge.models import InvoiceSendingStatusVo
from invoice_hub.contracts.http import Response
from invoice_hub.contracts.wire import IsoDate
from invoice_hub.domain.delivery import DeliveryStatus

app = healthbridge_api.resolver()


@app.get(
    "/api/v1/billing/invoices/sent/sentDate/<sentDate>",
    summary="Return list of invoices sent on a date (UTC; available for admins)",
    tags=[healthbridge_api.TAG],
    security=healthbridge_api.SECURITY,
    responses={
        200: {
            "description": "Collection of InvoiceSendingStatusVo",
            "content": healthbridge_api.content(list[InvoiceSendingStatusVo]),
        },
        **healthbridge_api.INVALID_PARAMETER,
        400: healthbridge_api.error("sentDate is not a date (yyyy-MM-dd)"),
        **healthbridge_api.ERROR_RESPONSES,
    },
)
def sent(sentDate: IsoDate) -> Response[Any]:
    return healthbridge_api.list_by_status(app, DeliveryStatus.SENT, sentDate.isoformat())


lambda_handler = healthbridge_api.entry_point(app)
