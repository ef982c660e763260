"""PUT /billing/rule-set/edit/{rule_set_id} — a rule set's name and description, its rules updated or added
(docs.decodahealth.com/api-reference/provider/rule-set-edit)."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import RuleSetSummary, RuleSetUpdate
from invoice_hub.entry import wiring

app = decoda_api.resolver()


@app.put(
    "/billing/rule-set/edit/<rule_set_id>",
    summary="Rule Set Edit",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {
            "description": "The rule set as edited",
            "content": {"application/json": {"model": RuleSetSummary}},
        },
        404: fastapi_style.error("No such rule set in the caller's practice"),
        409: fastapi_style.error("The rule set changed meanwhile (read it again)"),
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def edit(rule_set_id: UUID, rule_set: RuleSetUpdate) -> RuleSetSummary:
    edited = wiring.rule_sets().edit(
        decoda_api.tenant(app),
        rule_set_id,
        rule_set.name,
        rule_set.description,
        [decoda_api.rule_draft(rule) for rule in rule_set.rules],
    )
    return RuleSetSummary.of(edited)


lambda_handler = decoda_api.entry_point(app)
