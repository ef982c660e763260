"""GET /ebh/statuses/{v1|v2}/details — the status details of invoices, payor by payor (eBillingHub
Status API)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.get(
    "/ebh/statuses/<version>/details",
    summary="Status details of invoices by InvoiceId",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.details_responses(),
)(ebh_api.details_route(app))

lambda_handler = ebh_api.entry_point(app)
