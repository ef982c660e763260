"""The one interface every channel's connector has: send a parcel, ask what became of an earlier send.

A parcel is one delivery with what its channel carries: the address (an e-mail address, a phone number
in E.164, a postal address, a card on file), the text with its placeholders filled, and the invoice's
PDF. It holds patient data: connectors hand it to the provider and never log it.

Each answer is classified the same way for every channel: sent (with the provider's reference and, where
the provider says more, its status: a call's `completed` or `no-answer`), retryable (an outage, a
throttle; with the provider's Retry-After), or permanent (refused: the reason says why, without patient
data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol
from uuid import UUID

from invoice_hub.domain.delivery import Delivery, Method
from invoice_hub.domain.patient import PostalAddress


@dataclass(frozen=True)
class SendResult:
    ok: bool
    permanent: bool = False
    reason: str = ""
    external_reference: str | None = None
    retry_after: int | None = None
    confirmed: bool = False  # not sent now: the external system confirmed an earlier send had arrived
    channel_status: str | None = None  # what the provider says of the send (a call's `no-answer`)


@dataclass(frozen=True)
class StatusCheck:
    """What the external system says about an earlier send: delivered (with its reference), not received,
    or nothing usable (`unknown`)."""

    found: Literal["delivered", "not_received", "unknown"]
    external_reference: str | None = None


@dataclass(frozen=True)
class Parcel:
    delivery: Delivery
    credential: str | None = None
    to: str | None = None  # the e-mail address, the phone number (E.164) or the card on file
    name: str | None = None  # the patient's name, as a letter is addressed
    address: PostalAddress | None = None
    sender: str | None = None  # the practice's verified e-mail identity
    practice: str | None = None  # the practice's name
    subject: str | None = None
    text: str | None = None  # the message, placeholders filled
    document: bytes | None = None  # the invoice's PDF
    currency: str = "usd"

    def __repr__(self) -> str:  # a parcel in a traceback or a log line shows no patient data
        return f"Parcel(delivery={self.delivery.id}, method={self.delivery.method})"


@dataclass(frozen=True)
class ChannelEvent:
    """What a channel's provider reports of a send after it went out, as the service records it: the send
    (named by the ids it carried), a stable id of the fact (the same fact told twice is applied once), the
    history entry and the method's status, and whether the method failed for good. No patient data."""

    tenant_id: UUID
    delivery_id: UUID
    event_id: str
    source: str  # "SES", the provider's name
    method: Method
    history: str
    status: str
    ends_method: bool = False
    detail: str | None = None


def ids_of(parcel: Parcel) -> dict[str, str]:
    """The ids a provider keeps with a send and reports back with its events (never patient data)."""
    return {"tenant_id": str(parcel.delivery.tenant_id), "delivery_id": str(parcel.delivery.id)}


class Connector(Protocol):
    #: the provider takes the delivery id as an idempotency key: a repeated send is recognised, not
    #: carried twice (SES and End User Messaging SMS take none)
    idempotent: bool

    def credential_name(self, delivery: Delivery) -> str | None:
        """The SSM SecureString holding the key this send is made with (None: no key)."""
        ...

    def send(self, parcel: Parcel) -> SendResult: ...

    def status(self, parcel: Parcel) -> StatusCheck: ...


class Unasked:
    """What a connector whose provider cannot be asked about an earlier send has: `status` says nothing
    (the Sender then relies on the provider's idempotency key or, without one, does not send again), and
    no key of its own by default (the function's role sends)."""

    def credential_name(self, delivery: Delivery) -> str | None:
        return None

    def status(self, parcel: Parcel) -> StatusCheck:
        return StatusCheck("unknown")


class Unconfigured(Unasked):
    """The connector of a channel whose provider the stack was not given: each send fails permanently,
    saying which setting is missing (a re-drive after it is set sends)."""

    idempotent = True

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def send(self, parcel: Parcel) -> SendResult:
        return SendResult(ok=False, permanent=True, reason=self.reason)
