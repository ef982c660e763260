"""GET /invoice/{id}/pdf — the invoice's PDF, by a redirect to a presigned URL valid for minutes
(Invoice API)."""

from typing import Any
from uuid import UUID

from aws_lambda_powertools.event_handler import Response

from invoice_hub.contracts import fastapi_style
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
            "description": "The PDF is at the `Location` URL (application/pdf)",
            "headers": {
                "Location": {"description": "A presigned URL of the PDF", "schema": {"type": "string"}}
            },
        },
        404: fastapi_style.error("No such invoice in the caller's practice"),
        **invoice_api.ERROR_RESPONSES,
    },
)
def pdf(id: UUID) -> Response[Any]:
    url = wiring.documents().url(invoice_api.principal(app).tenant_id, id)
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"}, body="")


lambda_handler = invoice_api.entry_point(app)
