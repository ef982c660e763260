"""GET /billing/invoice/select-all — every send to a patient (invoice set) the same filters match, for a
bulk action (docs.decodahealth.com/api-reference/provider/select-all); at most 1,000."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import InvoiceSetForTable, InvoiceSetStatus
from invoice_hub.contracts.http import Query
from invoice_hub.entry import wiring

app = decoda_api.resolver()
SELECT_ALL_LIMIT = 1000
SORTS = Literal["send_time", "created_date", "updated_date", "amount", "status"]


@app.get(
    "/billing/invoice/select-all",
    summary="Select All",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "Successful Response",
            "content": {"application/json": {"model": list[InvoiceSetForTable]}},
        },
        **decoda_api.ERROR_RESPONSES,
    },
)
def table(
    page: Annotated[int, Query(ge=1, le=10_000, description="The page, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100, description="Rows per page")] = 25,
    sort_by: Annotated[SORTS, Query(description="The field to sort by")] = "send_time",
    sort_direction: Annotated[Literal["asc", "desc"], Query(description="The direction to sort by")] = "desc",
    location_id: Annotated[str | None, Query(max_length=64, description="Accepted; one location")] = None,
    search_term: Annotated[
        str | None, Query(min_length=1, max_length=100, description="The patient's name, phone number or id")
    ] = None,
    rule_set_id: Annotated[UUID | None, Query(description="Sends following this rule set")] = None,
    status: Annotated[list[InvoiceSetStatus] | None, Query(description="Any of these statuses")] = None,
    amount: Annotated[
        list[int] | None, Query(max_length=2, description="Amount owed, cents: [from] or [from, to]")
    ] = None,
    created_date: Annotated[
        list[datetime] | None, Query(max_length=2, description="Created: [from] or [from, to]")
    ] = None,
    send_time: Annotated[
        list[datetime] | None, Query(max_length=2, description="Next send: [from] or [from, to]")
    ] = None,
    tz: Annotated[str | None, Query(max_length=64, description="Accepted; dates carry their zone")] = None,
) -> list[InvoiceSetForTable]:
    query = decoda_api.table_query(
        page=page,
        per_page=per_page,
        sort_by=sort_by,
        sort_direction=sort_direction,
        search_term=search_term,
        rule_set_id=rule_set_id,
        status=status,
        amount=amount,
        created_date=created_date,
        send_time=send_time,
    )
    rows = wiring.invoice_table().matching(decoda_api.tenant(app), query)[:SELECT_ALL_LIMIT]
    return [decoda_api.table_row(row) for row in rows]


lambda_handler = decoda_api.entry_point(app)
