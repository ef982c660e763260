"""POST /api/v1/billing/invoices/retryallfailed — re-drives every failed send (Healthbridge, seed 001)."""

from typing import Any

from invoice_hub import metrics
from invoice_hub.contracts.healthbridge import facade as healthbridge_api
from invoice_hub.contracts.healthbridge.models import InvoiceSendingStatusVo, RestApiLink, RestApiResult
from invoice_hub.contracts.http import Response
from invoice_hub.entry import wiring
from invoice_hub.logic.redrive import retry_all_failed

app = healthbridge_api.resolver()


RETRY_ALL = "/api/v1/billing/invoices/retryallfailed"


@app.post(
    RETRY_ALL,
    summary="Trigger command to retry all failed invoices to external system",
    tags=[healthbridge_api.TAG],
    security=healthbridge_api.SECURITY,
    responses={
        200: {
            "description": "RestApiResult with the sends put back to work",
            "content": healthbridge_api.content(RestApiResult[list[InvoiceSendingStatusVo]]),
        },
        **healthbridge_api.ERROR_RESPONSES,
    },
)
def retry_all() -> Response[Any]:
    tenant_id = healthbridge_api.principal(app).tenant_id
    result = retry_all_failed(wiring.deliveries(), wiring.queue(), tenant_id, wiring.stuck_after())
    if result.remaining:  # a bounded call (decision 006): the rest stay FAILED until the next call
        started = "more failed sends remain: call retryallfailed again to put them back"
    elif result.move_task.started:
        started = "a re-drive of the failed queue started"
    else:
        started = "a re-drive was already running"
    body = RestApiResult[list[InvoiceSendingStatusVo]](
        Sucess=True,
        ResponseCode=200,
        ResponseMessage=f"{len(result.put_back)} failed invoice sends put back to work; {started}",
        Data=[healthbridge_api.status_vo(d) for d in result.put_back],
        Links=[
            RestApiLink(Rel="failed", HRef="/api/v1/billing/invoices/failed"),
            *([RestApiLink(Rel="next", HRef=RETRY_ALL)] if result.remaining else []),
        ],
    )
    return healthbridge_api.respond(app, body)


# what retry-all put back is counted as `Redrives` and written once per invocation (invoice_hub/metrics.py)
lambda_handler = metrics.flushed(healthbridge_api.entry_point(app))
