"""A patient's contact, per practice: what the channels need to reach the patient.

Every field but the ids is patient data (PHI): it is stored only in the table (encrypted with the stack's
key), never logged, never in a queue message, an object key or an error, and erased on request while the
billing records (invoices, sends) stay.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from invoice_hub.domain.delivery import Method
from invoice_hub.domain.record import Record


class PostalAddress(Record):
    line1: str
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None

    def one_line(self) -> str:
        parts = (self.line1, self.line2, self.city, " ".join(p for p in (self.state, self.zip_code) if p))
        return ", ".join(p for p in (*parts, self.country) if p)


class PatientContact(Record):
    tenant_id: UUID
    patient_id: UUID
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    address: PostalAddress | None = None
    date_of_birth: date | None = None
    card: str | None = None  # the card on file: a payment processor's payment method id
    updated_at: datetime

    def missing_for(self, method: Method) -> str | None:
        """What a send by `method` needs and this contact lacks, said without patient data; None if
        nothing."""
        return missing_for(self, method)


#: what each patient channel needs, and how its absence is said
NEEDS: dict[Method, tuple[str, str]] = {
    Method.EMAIL: ("email", "no e-mail address"),
    Method.SMS: ("phone", "no phone number"),
    Method.CALL: ("phone", "no phone number"),
    Method.MAIL: ("address", "no postal address"),
    Method.CHARGE_CARD: ("card", "no card on file"),
}


def missing_for(contact: PatientContact | None, method: Method) -> str | None:
    need = NEEDS.get(method)
    if need is None:
        return None
    field, missing = need
    if contact is None or getattr(contact, field) is None:
        return f"{missing} for the patient ({method})"
    return None


def e164(phone: str, default_country_code: str = "1") -> str:
    """A phone number in E.164 (+ and 8 to 15 digits): spaces, dots, dashes and parentheses dropped; ten
    digits without a country code are taken as North American (Decoda's patients). ValueError if it is
    not a phone number."""
    digits = "".join(c for c in phone if c not in " .-()\t")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        digits = f"+{default_country_code}{digits}" if len(digits) == 10 else f"+{digits}"
    if not (digits[1:].isdigit() and digits[1] != "0" and 8 <= len(digits) - 1 <= 15):
        raise ValueError("not a phone number (E.164: + and 8 to 15 digits)")
    return digits
