"""DELETE /patient/{patient_id}/contact — erases a patient's contact; invoices and sends stay."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.http import Response
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.entry import wiring
from invoice_hub.logic.patients import erase_contact

app = invoice_api.resolver()


@app.delete(
    "/patient/<patient_id>/contact",
    summary="Erase a patient's contact",
    description=(
        "Removes every contact field kept for the patient, and the invoice documents that show the "
        "patient's name; invoices and sends stay, by the patient's id."
    ),
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    status_code=204,
    responses={
        204: responses.empty("Erased"),
        404: fastapi_style.error("No contact is kept for this patient in the caller's practice"),
        **invoice_api.ERROR_RESPONSES,
    },
)
def delete(patient_id: UUID) -> Response[None]:
    erase_contact(wiring.patients(), invoice_api.principal(app).tenant_id, patient_id, wiring.documents())
    return Response(status_code=204)


lambda_handler = invoice_api.entry_point(app)
