"""PUT /submissions/api/{v1|v2}/SubmissionRequests/{SubmissionId}/invoices/{Id} — the old URL of the
ready update (deprecated; answers the same, with `Deprecation` and a `Link` to its successor)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.put(
    "/submissions/api/<version>/SubmissionRequests/<SubmissionId>/invoices/<Id>",
    summary="Make a submitted invoice ready (deprecated URL: use /ebh/submissions/{version}/...)",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.ready_responses(deprecated_url=True),
    deprecated=True,
)(ebh_api.ready_route(app))

lambda_handler = ebh_api.entry_point(
    app, successor="/ebh/submissions/{version}/SubmissionRequests/{SubmissionId}/invoices/{Id}"
)
