"""GET /billing/rule-set/list — the caller's practice's rule sets with their rules (Decoda)."""

from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import RuleSetSummary
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.get(
    "/billing/rule-set/list",
    summary="Get Rule Sets",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The rule sets",
            "content": {"application/json": {"model": list[RuleSetSummary]}},
        },
        **decoda_api.ERROR_RESPONSES,
    },
)
def rule_sets() -> list[RuleSetSummary]:
    return [RuleSetSummary.of(s) for s in wiring.rule_sets().repo.of_tenant(decoda_api.tenant(app))]


lambda_handler = decoda_api.entry_point(app)
