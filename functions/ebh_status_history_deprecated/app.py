"""GET /statuses/api/{v1|v2}/history — the old URL of the status history (deprecated; answers the same,
with `Deprecation` and a `Link` to its successor)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.get(
    "/statuses/api/<version>/history",
    summary="Status history (deprecated URL: use /ebh/statuses/{version}/history)",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.DEPRECATED_HISTORY_RESPONSES,
    deprecated=True,
)(ebh_api.history_route(app))

lambda_handler = ebh_api.entry_point(app, successor="/ebh/statuses/{version}/history")
