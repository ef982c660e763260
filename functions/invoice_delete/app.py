"""DELETE /invoice/{id} — deletes a DRAFT invoice; any other status is kept (409)."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.http import Response
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.entry import wiring
from invoice_hub.logic.invoices import delete_invoice

app = invoice_api.resolver()


@app.delete(
    "/invoice/<id>",
    summary="Delete Invoice",
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    status_code=204,
    responses={
        204: responses.empty("Deleted"),
        404: fastapi_style.error("No such invoice in the caller's practice"),
        409: fastapi_style.error("Only a DRAFT invoice may be deleted"),
        **invoice_api.ERROR_RESPONSES,
    },
)
def delete(id: UUID) -> Response[None]:
    delete_invoice(wiring.invoices(), invoice_api.principal(app).tenant_id, id)
    return Response(status_code=204)


lambda_handler = invoice_api.entry_point(app)
