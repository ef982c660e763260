"""POST /submissions/api/{v1|v2}/SubmissionRequests — the old URL of SubmissionRequests (deprecated;
answers the same, with `Deprecation` and a `Link` to its successor)."""

from invoice_hub.contracts.ebh import facade as ebh_api
from invoice_hub.contracts.http import XML

app = ebh_api.resolver()
app.post(
    "/submissions/api/<version>/SubmissionRequests",
    summary="Submit an eSF invoice (deprecated URL: use /ebh/submissions/{version}/SubmissionRequests)",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.submission_request_responses(deprecated_url=True),
    openapi_extensions=ebh_api.SUBMISSION_REQUEST_BODY,
    deprecated=True,
)(ebh_api.submission_request_route(app))

lambda_handler = ebh_api.entry_point(
    app, successor="/ebh/submissions/{version}/SubmissionRequests", takes=XML
)
