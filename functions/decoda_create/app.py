"""POST /billing/invoice/create — creates a manual invoice and sends it to the patient (Decoda, seed 004)."""

from typing import Any

from invoice_hub.contracts import responses
from invoice_hub.contracts.decoda import facade as decoda_api
from invoice_hub.contracts.decoda.models import CreateManualInvoice, InvoiceDetails
from invoice_hub.contracts.http import IdempotencyKey, Response, json_response

app = decoda_api.resolver()


@app.post(
    "/billing/invoice/create",
    summary="Create Manual Invoice",
    tags=[decoda_api.TAG],
    security=decoda_api.SECURITY,
    responses={
        200: responses.body(
            InvoiceDetails,
            "Successful Response",
            with_headers={
                "Idempotent-Replayed": responses.header(
                    "true when this is the first answer to the same Idempotency-Key, replayed", required=False
                )
            },
            with_links=decoda_api.SENT_INVOICE_LINKS,
        ),
        **decoda_api.ERROR_RESPONSES,
        **decoda_api.BODY_ERRORS,
    },
)
def create(
    invoice: CreateManualInvoice,
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    body, replayed = decoda_api.create_manual_invoice(decoda_api.tenant(app), invoice, idempotency_key)
    return json_response(200, body, {"Idempotent-Replayed": "true"} if replayed else None)


lambda_handler = decoda_api.entry_point(app)
