"""PUT /patient/{patient_id}/contact — keeps a patient's contact (the Invoice API's way to give it)."""

from datetime import UTC, datetime
from uuid import UUID

from invoice_hub.contracts import fastapi_style, responses
from invoice_hub.contracts.invoice_api import facade as invoice_api
from invoice_hub.contracts.invoice_api.patients import PatientContactIn, PatientContactOut
from invoice_hub.entry import wiring
from invoice_hub.logic.patients import record_contact

app = invoice_api.resolver()


@app.put(
    "/patient/<patient_id>/contact",
    summary="Set a patient's contact",
    description=(
        "What the channels need to reach the patient: name, e-mail, phone, postal address, card on file. "
        "Each field given replaces the one kept; a field left out stays. Patient data: encrypted at rest, "
        "never logged, erased by DELETE."
    ),
    tags=[invoice_api.TAG],
    security=invoice_api.SECURITY,
    responses={
        200: responses.body(PatientContactOut, "The contact kept"),
        404: fastapi_style.error("The path names no patient"),
        **invoice_api.ERROR_RESPONSES,
        **invoice_api.BODY_ERRORS,
    },
)
def put(patient_id: UUID, contact: PatientContactIn) -> PatientContactOut:
    tenant_id = invoice_api.principal(app).tenant_id
    kept = record_contact(wiring.patients(), contact.contact(tenant_id, patient_id, datetime.now(UTC)))
    return PatientContactOut.of(kept)


lambda_handler = invoice_api.entry_point(app)
