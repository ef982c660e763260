"""POST /ebh/submissions/{v1|v2} — submits an invoice to one or more payers (eBillingHub Submission API)."""

from typing import Any

from invoice_hub.contracts import responses
from invoice_hub.contracts.ebh import facade as ebh_api
from invoice_hub.contracts.ebh.models import Submission, SubmissionCreated
from invoice_hub.contracts.http import IdempotencyKey, Response, json_response

app = ebh_api.resolver()


@app.post(
    "/ebh/submissions/<version>",
    summary="Submit an invoice to payers",
    tags=[ebh_api.TAG],
    security=ebh_api.SECURITY,
    responses={
        201: responses.body(
            SubmissionCreated,
            "Submitted",
            with_headers={
                **ebh_api.OPERATION_ID,
                "Location": responses.header("The submission's status history"),
            },
            with_links=responses.links(
                ("history_ebh_statuses__version__history_get",), SubmissionId="$response.body#/SubmissionId"
            ),
        ),
        409: ebh_api.error("The invoice is with the payer already and may not be resubmitted"),
        **ebh_api.ERROR_RESPONSES,
        **ebh_api.BODY_ERRORS,
    },
)
def submit(
    version: ebh_api.Version,
    submission: Submission,
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    body, submission_id, replayed = ebh_api.submit(
        ebh_api.tenant(app), submission, idempotency_key, ebh_api.username(app)
    )
    headers = {"Location": f"/ebh/statuses/{version}/history?SubmissionId={submission_id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(201, body, headers)


lambda_handler = ebh_api.entry_point(app)
