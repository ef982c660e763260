"""GET /invoice/{id} — one invoice of the caller's practice (Invoice API, seed 003)."""

from typing import Any
from uuid import UUID

from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.http import Response
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.contracts.invoice_api.models import InvoiceOut
from invoice_hub.entry import wiring
from invoice_hub.logic.invoices import get_invoice

app = invoice_api.resolver()


@app.get(
    "/invoice/<id>",
    summary="Get Invoice By ID",
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    responses={
        200: responses.body(InvoiceOut, "The invoice", with_headers=invoice_api.ETAG),
        404: fastapi_style.error("No such invoice in the caller's practice"),
        **invoice_api.ERROR_RESPONSES,
    },
)
def get(id: UUID) -> Response[Any]:
    invoice = get_invoice(wiring.invoices(), invoice_api.principal(app).tenant_id, id)
    return invoice_api.invoice_response(invoice)


lambda_handler = invoice_api.entry_point(app)
