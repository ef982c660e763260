"""DELETE /billing/rule/delete/{rule_id} — one rule of a rule set (Decoda)."""

from typing import Any
from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.delete(
    "/billing/rule/delete/<rule_id>",
    summary="Delete Rule",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {"description": "Deleted", "content": {"application/json": {"schema": {"type": "object"}}}},
        404: fastapi_style.error("No such rule in the caller's practice"),
        409: fastapi_style.error("The rule set changed meanwhile"),
        **decoda_api.ERROR_RESPONSES,
    },
)
def delete(rule_id: UUID) -> dict[str, Any]:
    wiring.rule_sets().delete_rule(decoda_api.tenant(app), rule_id)
    return {}


lambda_handler = decoda_api.entry_point(app)
