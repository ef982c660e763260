"""POST /ebh/submissions/{v1|v2}/SubmissionRequests — submits an eSF invoice (XML) to its payor orgs
(eBillingHub Submission API)."""

from invoice_hub.contracts.ebh import facade as ebh_api
from invoice_hub.contracts.http import XML

app = ebh_api.resolver()
app.post(
    "/ebh/submissions/<version>/SubmissionRequests",
    summary="Submit an eSF invoice to its payor orgs",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.submission_request_responses(),
    openapi_extensions=ebh_api.SUBMISSION_REQUEST_BODY,
)(ebh_api.submission_request_route(app))

lambda_handler = ebh_api.entry_point(app, takes=XML)
