"""GET /api/v1/billing/invoices/failed — the practice's sends that failed (Healthbridge, seed 000; admins)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from invoice_hub.api import healthbridge_api
from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.models.delivery import DeliveryStatus
from invoice_hub.models.healthbridge_api import InvoiceSendingStatusVo

app = healthbridge_api.resolver()


@app.get(
    "/api/v1/billing/invoices/failed",
    summary="Return list of invoices which failed to send (available for admins)",
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
def failed() -> Response[Any]:
    tenant_id = healthbridge_api.principal(app).tenant_id
    deliveries = delivery_repository(get_settings()).by_status(tenant_id, DeliveryStatus.FAILED)
    return healthbridge_api.respond(app, [healthbridge_api.status_vo(d) for d in deliveries])


lambda_handler = healthbridge_api.entry_point(app)
