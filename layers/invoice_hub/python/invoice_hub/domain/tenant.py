"""A tenant: a practice or billing organisation, and where its invoices are sent."""

from uuid import UUID

from pydantic import Field

from invoice_hub.domain.delivery import Destination
from invoice_hub.domain.record import Record


class Tenant(Record):
    id: UUID
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    #: the practice's postal address, as its invoices show it
    address: str | None = Field(default=None, max_length=500)
    #: the practice's SES-verified identity its e-mails are sent from
    email_identity: str | None = Field(default=None, max_length=320)
    #: every issued invoice is sent to each of these (payer e-billing hubs, ...)
    destinations: tuple[Destination, ...] = ()
    #: where invoices to patients go (SMS, e-mail, card charge, call, mail), by method
    patient_channel: Destination | None = None
