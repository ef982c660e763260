"""POST /invoice/ — creates an invoice (Invoice API, seed 003)."""

from typing import Any

from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.http import IdempotencyKey, Response
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.contracts.invoice_api.models import InvoiceIn, InvoiceOut

app = invoice_api.resolver()


@app.post(
    "/invoice/",
    summary="Create Invoice",
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    status_code=201,
    responses={
        201: responses.body(
            InvoiceOut, "Created", with_headers=invoice_api.CREATED, with_links=invoice_api.INVOICE_LINKS
        ),
        409: fastapi_style.error("The requested status is not allowed"),
        **invoice_api.ERROR_RESPONSES,
        **invoice_api.BODY_ERRORS,
    },
)
def create(
    invoice: InvoiceIn,
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    return invoice_api.create(invoice_api.principal(app).tenant_id, invoice, idempotency_key)


lambda_handler = invoice_api.entry_point(app)
