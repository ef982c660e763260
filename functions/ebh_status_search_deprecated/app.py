"""POST /statuses/api/{v1|v2}/search — the old URL of the status search (deprecated; answers the same,
with `Deprecation` and a `Link` to its successor)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.post(
    "/statuses/api/<version>/search",
    summary="Search invoices' statuses (deprecated URL: use /ebh/statuses/{version}/search)",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.search_responses(deprecated_url=True),
    deprecated=True,
)(ebh_api.search_route(app))

lambda_handler = ebh_api.entry_point(app, successor="/ebh/statuses/{version}/search")
