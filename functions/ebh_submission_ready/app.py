"""PUT /ebh/submissions/{v1|v2}/SubmissionRequests/{SubmissionId}/invoices/{Id} — an invoice
submitted as new (waiting for its attachments) is received and forwarded (eBillingHub Submission API)."""

from invoice_hub.contracts.ebh import facade as ebh_api

app = ebh_api.resolver()
app.put(
    "/ebh/submissions/<version>/SubmissionRequests/<SubmissionId>/invoices/<Id>",
    summary="Make a submitted invoice ready (new to received)",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses=ebh_api.ready_responses(),
)(ebh_api.ready_route(app))

lambda_handler = ebh_api.entry_point(app)
