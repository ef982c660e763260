"""PUT /billing/invoice/retry-method — retries a sent invoice with another method (Decoda)."""

from invoice_hub.api import decoda_api, fastapi_style
from invoice_hub.logic.delivery_actions import retry_with
from invoice_hub.models.decoda_api import InvoiceDetails, RetryMethod
from invoice_hub.models.delivery import Method

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
        decoda_api.deliveries(),
        decoda_api.queue(),
        decoda_api.tenant(app),
        body.invoiceId,
        Method(body.invoiceMethod),
    )
    return InvoiceDetails.of(delivery)


lambda_handler = decoda_api.entry_point(app)
