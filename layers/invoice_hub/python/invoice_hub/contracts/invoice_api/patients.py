"""Invoice API (seed 003): a patient's contact, what comes in and what goes out (PUT, GET
/patient/{patient_id}/contact), snake_case; apart from the invoices' models so that only the three
contact functions build them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints

from invoice_hub.contracts.wire import EMAIL_PATTERN, NOT_BLANK, IsoDate, WireModel
from invoice_hub.domain.patient import PatientContact, PostalAddress

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NOT_BLANK]
AddressText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK
]
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]
Phone = Annotated[
    str, StringConstraints(pattern=r"^\+[1-9][0-9]{7,14}$"), Field(description="E.164: + and 8 to 15 digits")
]


class AddressIn(WireModel):
    line1: AddressText
    line2: AddressText | None = None
    city: AddressText | None = None
    state: AddressText | None = None
    zip_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None = (
        None
    )
    country: AddressText | None = None


class PatientContactIn(WireModel):
    """Body of PUT /patient/{patient_id}/contact: each field given replaces the one kept; a field left out
    stays as it is."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.org",
                "phone": "+15551234567",
                "address": {"line1": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701"},
            }
        }
    )

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: AddressIn | None = None
    date_of_birth: IsoDate | None = None
    card: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^pm_[A-Za-z0-9_]{1,250}$")] | None
    ) = Field(default=None, description="The card on file: a Stripe PaymentMethod id (pm_...)")

    def contact(self, tenant_id: UUID, patient_id: UUID, now: datetime) -> PatientContact:
        return PatientContact(
            tenant_id=tenant_id,
            patient_id=patient_id,
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            phone=self.phone,
            address=PostalAddress(**self.address.model_dump()) if self.address else None,
            date_of_birth=self.date_of_birth,
            card=self.card,
            updated_at=now,
        )


class AddressOut(WireModel):
    line1: str
    line2: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    country: str | None


class PatientContactOut(WireModel):
    """The contact kept for a patient of the caller's practice."""

    patient_id: UUID
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    address: AddressOut | None
    date_of_birth: date | None
    card: str | None
    updated_at: datetime

    @classmethod
    def of(cls, contact: PatientContact) -> PatientContactOut:
        return cls.model_validate(contact.model_dump(exclude={"tenant_id"}))
