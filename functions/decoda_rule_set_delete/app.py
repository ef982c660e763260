"""DELETE /billing/rule-set/delete/{rule_set_id} — a rule set and all its rules (Decoda). Sends that follow
one of its rules keep the plan they have."""

from typing import Any
from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.delete(
    "/billing/rule-set/delete/<rule_set_id>",
    summary="Delete Rule Set",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {"description": "Deleted", "content": {"application/json": {"schema": {"type": "object"}}}},
        404: fastapi_style.error("No such rule set in the caller's practice"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def delete(rule_set_id: UUID) -> dict[str, Any]:
    wiring.rule_sets().repo.delete(decoda_api.tenant(app), rule_set_id)
    return {}


lambda_handler = decoda_api.entry_point(app)
