"""PUT /billing/invoice/retry-method — retries a sent invoice with another method (Decoda)."""

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import InvoiceDetails, RetryMethod
from invoice_hub.domain.delivery import Method
from invoice_hub.entry import wiring
from invoice_hub.logic.delivery_actions import retry_with

app = decoda_api.resolver()


@app.put(
    "/billing/invoice/retry-method",
    summary="Retry With Another Method",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The invoice, queued with the new method",
            "content": {"application/json": {"model": InvoiceDetails}},
        },
        404: fastapi_style.error("No such invoice in the caller's practice"),
        409: fastapi_style.error("The invoice was already sent or cancelled"),
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def retry(body: RetryMethod) -> InvoiceDetails:
    delivery = retry_with(
        wiring.deliveries(),
        wiring.queue(),
        decoda_api.tenant(app),
        body.invoiceId,
        Method(body.invoiceMethod),
    )
    return decoda_api.details(delivery)


lambda_handler = decoda_api.entry_point(app)
