"""POST /billing/rule-set/create — a rule set with its rules (Decoda)."""

from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import RuleSetCreate, RuleSetSummary
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.post(
    "/billing/rule-set/create",
    summary="Create Rule Set",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {"description": "The rule set", "content": {"application/json": {"model": RuleSetSummary}}},
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def create(rule_set: RuleSetCreate) -> RuleSetSummary:
    made = wiring.rule_sets().create(
        decoda_api.tenant(app),
        rule_set.name,
        rule_set.description,
        [decoda_api.rule_draft(rule) for rule in rule_set.rules],
    )
    return RuleSetSummary.of(made)


lambda_handler = decoda_api.entry_point(app)
