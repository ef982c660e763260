"""PUT /ebh/statuses/{v1|v2}/invoice — sets the status of an invoice with its payors (eBillingHub Status
API)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.put(
    "/ebh/statuses/<version>/invoice",
    summary="Update an invoice's status with its payors",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.status_update_responses(),
)(ebh_api.status_update_route(app))

lambda_handler = ebh_api.entry_point(app)
