"""PUT /billing/invoice/execute-action — pause, resume or cancel invoices, switch them to another rule set,
send them to collections or write them off (Decoda; docs.decodahealth.com/api-reference/provider/
execute-action). All or nothing: every invoice is checked before any is changed."""

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import ActionType, ExecuteAction, InvoiceDetails
from invoice_hub.entry import wiring
from invoice_hub.logic.delivery_actions import Action, execute
from invoice_hub.logic.rules import change_rule_set

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
        404: fastapi_style.error(
            "An id is not an invoice of the caller's practice, or the rule set is not (nothing was changed)"
        ),
        409: fastapi_style.error("The action does not apply to an invoice's status (nothing was changed)"),
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def execute_action(action: ExecuteAction) -> list[InvoiceDetails]:
    tenant_id, ids = decoda_api.tenant(app), action.invoiceSetIds
    if action.actionType is ActionType.WRITE_OFF:
        changed = wiring.settlements().write_off(tenant_id, ids, action.writeOffReason or "")
    elif action.actionType is ActionType.TO_COLLECTIONS:
        changed = wiring.settlements().to_collections(tenant_id, ids)
    elif action.actionType is ActionType.CHANGE_RULE_SET and action.ruleSetId is not None:
        rule_set = wiring.rule_sets().repo.get(tenant_id, action.ruleSetId)
        changed = change_rule_set(wiring.deliveries(), wiring.queue(), rule_set, ids, wiring.day())
    else:
        changed = execute(wiring.deliveries(), wiring.queue(), tenant_id, ids, Action(action.actionType))
    return [decoda_api.details(delivery) for delivery in changed]


lambda_handler = decoda_api.entry_point(app)
