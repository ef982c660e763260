"""PUT /invoice/{id} — updates an invoice; If-Match guards against lost updates (Invoice API, seed 003). An
update that leaves the invoice owing nothing (paid, void, written off) stops the sends waiting on it."""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.http import Header, Response
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.contracts.invoice_api.models import InvoiceIn, InvoiceOut
from invoice_hub.entry import wiring
from invoice_hub.logic.invoices import update_invoice

app = invoice_api.resolver()


@app.put(
    "/invoice/<id>",
    summary="Update Invoice",
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    responses={
        200: responses.body(
            InvoiceOut,
            "The updated invoice",
            with_headers=invoice_api.ETAG,
            with_links=invoice_api.INVOICE_LINKS,
        ),
        404: fastapi_style.error("No such invoice in the caller's practice"),
        409: fastapi_style.error("Illegal status change, or a concurrent update won"),
        412: fastapi_style.error("If-Match does not name the current version"),
        **invoice_api.ERROR_RESPONSES,
        **invoice_api.BODY_ERRORS,
    },
)
def update(
    id: UUID,
    invoice: InvoiceIn,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match", max_length=200, description="The ETag of the version the change is based on"
        ),
    ] = None,
) -> Response[Any]:
    tenant_id = invoice_api.principal(app).tenant_id
    updated = update_invoice(wiring.invoices(), tenant_id, id, invoice.draft(), if_match, wiring.outbox())
    # a payment (or a void, a write-off) that leaves nothing owed ends the sends still waiting on it
    wiring.payments().stop_sends([updated], datetime.now(UTC))
    return invoice_api.invoice_response(updated)


lambda_handler = invoice_api.entry_point(app)
