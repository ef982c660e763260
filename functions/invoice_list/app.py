"""GET /invoice/ — the caller's invoices, filtered, ordered and paginated (Invoice API, seed 003)."""

from typing import Annotated
from uuid import UUID

from invoice_hub.contracts.http import Query
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.contracts.invoice_api.models import InvoicePage, OrderBy
from invoice_hub.domain.invoice import MAX_LIMIT, InvoiceQuery, InvoiceStatus
from invoice_hub.entry import wiring
from invoice_hub.logic.invoices import list_invoices

app = invoice_api.resolver()


@app.get(
    "/invoice/",
    summary="Get All Invoices",
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    responses={
        200: {"description": "A page of invoices", "content": {"application/json": {"model": InvoicePage}}},
        **invoice_api.ERROR_RESPONSES,
    },
)
def list_all(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Maximum records to return")] = 100,
    offset: Annotated[int, Query(ge=0, description="Pagination offset")] = 0,
    order_by: Annotated[OrderBy, Query(description="Sort field; '-' prefix for descending")] = "created_at",
    search: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Text in the number, ids, item descriptions or tags"),
    ] = None,
    tags: Annotated[list[str] | None, Query(description="Invoices carrying every one of these tags")] = None,
    patient_id: Annotated[UUID | None, Query(description="Filter by patient")] = None,
    appointment_id: Annotated[UUID | None, Query(description="Filter by appointment")] = None,
    status: Annotated[InvoiceStatus | None, Query(description="Filter by invoice status")] = None,
) -> InvoicePage:
    query = InvoiceQuery(
        limit=limit,
        offset=offset,
        order_by=order_by,
        search=search,
        tags=tuple(tags or ()),
        patient_id=patient_id,
        appointment_id=appointment_id,
        status=status,
    )
    total, invoices = list_invoices(wiring.invoices(), invoice_api.principal(app).tenant_id, query)
    return InvoicePage.of(total, query, invoices)


lambda_handler = invoice_api.entry_point(app)
