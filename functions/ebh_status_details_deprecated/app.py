"""GET /statuses/api/{v1|v2}/details — the old URL of the status details (deprecated; answers the same,
with `Deprecation` and a `Link` to its successor)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.get(
    "/statuses/api/<version>/details",
    summary="Status details of invoices by InvoiceId (deprecated URL: use /ebh/statuses/{version}/details)",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.details_responses(deprecated_url=True),
    deprecated=True,
)(ebh_api.details_route(app))

lambda_handler = ebh_api.entry_point(app, successor="/ebh/statuses/{version}/details")
