"""GET /ebh/statuses/{v1|v2}/history — an invoice's status history, payer by payer (eBillingHub, seed 002)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.get(
    "/ebh/statuses/<version>/history",
    summary="Status history by SubmissionId or InvoiceId",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.HISTORY_RESPONSES,
)(ebh_api.history_route(app))

lambda_handler = ebh_api.entry_point(app)
