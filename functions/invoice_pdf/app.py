"""GET /invoice/{id}/pdf — the invoice's PDF, by a redirect to a presigned URL valid for minutes
(Invoice API)."""

from typing import Any
from uuid import UUID

from invoice_hub.contracts import fastapi_style
from invoice_hub.contracts.http import Response
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.entry import wiring

app = invoice_api.resolver()


@app.get(
    "/invoice/<id>/pdf",
    summary="Get Invoice PDF",
    description=(
        "Redirects (302) to the invoice's PDF: rendered once per invoice version, kept encrypted, "
        "served by a presigned URL that expires in minutes (ask again for a fresh one)."
    ),
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    responses={
        302: {
            "description": "The PDF is at the `Location` URL (application/pdf); the answer has no body",
            "headers": {
                "Location": {"description": "A presigned URL of the PDF", "schema": {"type": "string"}}
            },
            "content": {"text/plain": {"schema": {"type": "string", "maxLength": 0}}},
        },
        404: fastapi_style.error("No such invoice in the caller's practice"),
        **invoice_api.ERROR_RESPONSES,
    },
)
def pdf(id: UUID) -> Response[Any]:
    url = wiring.documents().url(invoice_api.principal(app).tenant_id, id)
    # no body, so no JSON: the client follows Location (a JSON content type on an empty body is a lie)
    headers = {"Location": url, "Cache-Control": "no-store"}
    return Response(status_code=302, content_type="text/plain; charset=utf-8", headers=headers, body="")


lambda_handler = invoice_api.entry_point(app)
