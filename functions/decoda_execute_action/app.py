"""PUT /billing/invoice/execute-action — pause, resume or cancel sent invoices (Decoda)."""

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import ExecuteAction, InvoiceDetails
from invoice_hub.entry import wiring
from invoice_hub.logic.delivery_actions import Action, execute

app = decoda_api.resolver()


@app.put(
    "/billing/invoice/execute-action",
    summary="Execute Action",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The invoices after the action",
            "content": {"application/json": {"model": list[InvoiceDetails]}},
        },
        404: fastapi_style.error("An id is not an invoice of the caller's practice (nothing was changed)"),
        409: fastapi_style.error("The action does not apply to an invoice's status (nothing was changed)"),
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def execute_action(action: ExecuteAction) -> list[InvoiceDetails]:
    changed = execute(
        wiring.deliveries(),
        wiring.queue(),
        decoda_api.tenant(app),
        action.invoiceSetIds,
        Action(action.actionType),
    )
    return [decoda_api.details(delivery) for delivery in changed]


lambda_handler = decoda_api.entry_point(app)
