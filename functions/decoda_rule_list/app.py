"""GET /billing/rule/list — every rule of the caller's practice's rule sets
(docs.decodahealth.com/api-reference/provider/get-1); the filters are this service's (Decoda's page
lists none)."""

from typing import Annotated
from uuid import UUID

from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import InvoiceMethod, RuleSummary
from invoice_hub.contracts.http import Query
from invoice_hub.domain.delivery import Method
from invoice_hub.entry import wiring
from invoice_hub.logic.rules import RuleFilter

app = decoda_api.resolver()


@app.get(
    "/billing/rule/list",
    summary="Get",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: {"description": "The rules", "content": {"application/json": {"model": list[RuleSummary]}}},
        **decoda_api.ERROR_RESPONSES,
    },
)
def rules(
    amountLessThan: Annotated[int | None, Query(ge=0, description="Rules with this upper bound")] = None,
    amountGreaterThan: Annotated[int | None, Query(ge=0, description="Rules with this lower bound")] = None,
    methods: Annotated[list[InvoiceMethod] | None, Query(description="Rules with every one of these")] = None,
    ruleSetId: Annotated[UUID | None, Query(description="Rules of this rule set")] = None,
) -> list[RuleSummary]:
    chosen = RuleFilter(
        amount_less_than=amountLessThan,
        amount_greater_than=amountGreaterThan,
        methods=tuple(Method(m) for m in methods or ()),
        rule_set_id=ruleSetId,
    )
    return [RuleSummary.of(rule) for rule in wiring.rule_sets().rules(decoda_api.tenant(app), chosen)]


lambda_handler = decoda_api.entry_point(app)
