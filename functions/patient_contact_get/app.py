"""GET /patient/{patient_id}/contact — the contact kept for a patient of the caller's practice."""

from uuid import UUID

from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.contracts.invoice_api.patients import PatientContactOut
from invoice_hub.entry import wiring
from invoice_hub.logic.patients import contact_of

app = invoice_api.resolver()


@app.get(
    "/patient/<patient_id>/contact",
    summary="Get a patient's contact",
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    responses={
        200: responses.body(PatientContactOut, "The contact kept"),
        404: fastapi_style.error("No contact is kept for this patient in the caller's practice"),
        **invoice_api.ERROR_RESPONSES,
    },
)
def get(patient_id: UUID) -> PatientContactOut:
    return PatientContactOut.of(
        contact_of(wiring.patients(), invoice_api.principal(app).tenant_id, patient_id)
    )


lambda_handler = invoice_api.entry_point(app)
