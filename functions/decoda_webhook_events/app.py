"""GET /v1/webhook/{webhook_id}/delivery-attempts/list — the events made for a webhook of the caller's
practice, with Decoda's filters, order and paging
(docs.decodahealth.com/api-reference/webhooks/webhook-events-list)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.webhooks import WebhookEventDetails, WebhookEventType
from invoice_hub.contracts.http import Query
from invoice_hub.entry import wiring
from invoice_hub.logic.webhooks import EventFilter

app = decoda_api.resolver()


@app.get(
    "/v1/webhook/<webhook_id>/delivery-attempts/list",
    summary="Webhook Events List",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The webhook's events (WebhookDeliveryAttemptSummary), a page of them",
            "content": {"application/json": {"model": list[WebhookEventDetails]}},
        },
        404: fastapi_style.error("No such webhook in the caller's practice"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def events(
    webhook_id: UUID,
    event_type: Annotated[
        WebhookEventType | None, Query(description="The type of event to filter by")
    ] = None,
    is_delivered: Annotated[
        bool | None,
        Query(description="Filter by if the event has been delivered (a 2xx was received for it)"),
    ] = None,
    created_before: Annotated[
        datetime | None, Query(description="Get Events created before this date")
    ] = None,
    created_after: Annotated[datetime | None, Query(description="Get Events created after this date")] = None,
    last_delivery_attempt_status: Annotated[
        str | None,
        Query(max_length=3, description="Filter by the HTTP status of the most recent delivery attempt"),
    ] = None,
    last_delivery_attempt_error: Annotated[
        str | None,
        Query(max_length=200, description="Filter by the error message of the most recent delivery attempt"),
    ] = None,
    delivery_date_before: Annotated[
        datetime | None, Query(description="Get Events with a delivery date before this date")
    ] = None,
    delivery_date_after: Annotated[
        datetime | None, Query(description="Get Events with a delivery date after this date")
    ] = None,
    sort_by: Annotated[
        Literal["created_date", "delivered_date"], Query(description="The field to sort by")
    ] = "created_date",
    sort_direction: Annotated[Literal["asc", "desc"], Query(description="The direction to sort by")] = "desc",
    limit: Annotated[int, Query(ge=1, le=100, description="The maximum number of results to return")] = 10,
    offset: Annotated[int, Query(ge=0, description="The number of results to skip at the beginning")] = 0,
) -> list[WebhookEventDetails]:
    found = wiring.practice_webhooks().events(decoda_api.tenant(app), webhook_id)
    chosen = EventFilter(
        event_type=str(event_type) if event_type else None,
        is_delivered=is_delivered,
        created_before=decoda_api.aware(created_before),
        created_after=decoda_api.aware(created_after),
        delivered_before=decoda_api.aware(delivery_date_before),
        delivered_after=decoda_api.aware(delivery_date_after),
        last_status=last_delivery_attempt_status,
        last_error=last_delivery_attempt_error,
        newest_first=sort_direction == "desc",
        by_delivery=sort_by == "delivered_date",
        limit=limit,
        offset=offset,
    )
    return [WebhookEventDetails.of(event) for event in chosen.page(found)]


lambda_handler = decoda_api.entry_point(app)
