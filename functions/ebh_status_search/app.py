"""POST /ebh/statuses/{v1|v2}/search — the statuses of submitted invoices that match a search
(eBillingHub Status API)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.post(
    "/ebh/statuses/<version>/search",
    summary="Search invoices' statuses",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.search_responses(),
)(ebh_api.search_route(app))

lambda_handler = ebh_api.entry_point(app)
