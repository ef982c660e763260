"""PUT /statuses/api/{v1|v2}/invoice — the old URL of the status update (deprecated; answers the same,
with `Deprecation` and a `Link` to its successor)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.put(
    "/statuses/api/<version>/invoice",
    summary="Update an invoice's status (deprecated URL: use /ebh/statuses/{version}/invoice)",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.status_update_responses(deprecated_url=True),
    deprecated=True,
)(ebh_api.status_update_route(app))

lambda_handler = ebh_api.entry_point(app, successor="/ebh/statuses/{version}/invoice")
