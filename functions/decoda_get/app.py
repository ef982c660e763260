"""GET /billing/invoice/{id} — a sent invoice of the caller's practice (Decoda)."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import InvoiceDetails, RuleDetails
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.get(
    "/billing/invoice/<id>",
    summary="Get Invoice",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "Successful Response",
            "content": {"application/json": {"model": InvoiceDetails}},
        },
        404: fastapi_style.error("No such invoice in the caller's practice"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def get(id: UUID) -> InvoiceDetails:
    delivery = wiring.deliveries().get(decoda_api.tenant(app), id)
    rule = RuleDetails.model_validate(delivery.rule) if delivery.rule else None
    return decoda_api.details(delivery, rule)


lambda_handler = decoda_api.entry_point(app)
