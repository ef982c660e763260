"""What Stripe reports by webhook, authenticated with the SDK's own check (`Stripe-Signature`: a timestamp
and an HMAC-SHA256 of `<timestamp>.<body>` with the endpoint's signing secret; older than five minutes is
refused, so a captured event cannot be replayed later) and read into what the service records:

- `payment_intent.succeeded`, and `checkout.session.completed` when paid (the payment link's hosted
  checkout) → a payment of the practice's invoices, by the PaymentIntent's id. The practice and the
  invoices are the metadata this service put on the payment (`tenant_id`, `invoice_id`), or a checkout's
  `client_reference_id` (`<tenant id>_<invoice id>`); Stripe signs them back.
- `charge.refunded` → the PaymentIntent's refunded total (Stripe's cumulative `amount_refunded`).
- `payment_intent.payment_failed` → the decline, for the send that made the charge (`delivery_id`).

Anything else, or an event that names no practice of ours, is acknowledged and ignored.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from uuid import UUID


class Unauthentic(Exception):
    """The event is unsigned, wrongly signed, too old, or not an event at all."""


@dataclass(frozen=True)
class Paid:
    event_id: str
    reference: str  # the PaymentIntent
    tenant_id: UUID
    invoice_ids: tuple[UUID, ...]
    amount_cents: int
    delivery_id: UUID | None = None  # the send that charged the card (its invoices are the payment's)


@dataclass(frozen=True)
class Refunded:
    event_id: str
    reference: str
    refunded_cents: int
    ours: bool = False  # the charge's metadata names a practice of this service's


@dataclass(frozen=True)
class PaymentFailed:
    event_id: str
    reference: str
    tenant_id: UUID
    delivery_id: UUID
    code: str


StripeEvent = Paid | Refunded | PaymentFailed


def text_of(body: str | None, base64_encoded: bool) -> str:
    """The request body as Stripe sent it (UTF-8 JSON); anything else is no Stripe event."""
    if not body:
        return ""
    if not base64_encoded:
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise Unauthentic("the body is not a Stripe event") from error


def verified(payload: str, signature: str | None, secret: str) -> dict[str, Any]:
    """The event, if Stripe signed it with `secret` within the tolerance; else Unauthentic."""
    import stripe

    if not signature:
        raise Unauthentic("no Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as error:
        raise Unauthentic("the Stripe-Signature does not verify") from error
    except ValueError as error:  # the body is not JSON
        raise Unauthentic("the body is not a Stripe event") from error
    except (TypeError, OverflowError) as error:  # a signature of non-ASCII text, a timestamp beyond time
        raise Unauthentic("the Stripe-Signature does not verify") from error
    found: dict[str, Any] = event.to_dict()
    return found


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _owner(thing: dict[str, Any]) -> tuple[UUID, tuple[UUID, ...]] | None:
    metadata = thing.get("metadata") or {}
    tenant, invoice = _uuid(metadata.get("tenant_id")), _uuid(metadata.get("invoice_id"))
    if (tenant is None or invoice is None) and thing.get("client_reference_id"):
        given = str(thing["client_reference_id"]).split("_", 1)
        if len(given) == 2:
            tenant, invoice = _uuid(given[0]), _uuid(given[1])
    if tenant is None or invoice is None:
        return None
    return tenant, (invoice,)


def read(event: dict[str, Any]) -> StripeEvent | None:
    """What a verified event tells the service, or None for an event it does not record."""
    kind, event_id = str(event.get("type", "")), str(event.get("id", ""))
    thing = (event.get("data") or {}).get("object") or {}
    if not isinstance(thing, dict):
        return None
    if kind == "payment_intent.succeeded":
        owner = _owner(thing)
        amount = thing.get("amount_received") or thing.get("amount")
        if owner and isinstance(amount, int):
            delivery = _uuid((thing.get("metadata") or {}).get("delivery_id"))
            return Paid(event_id, str(thing.get("id")), owner[0], owner[1], amount, delivery)
    elif kind == "checkout.session.completed" and thing.get("payment_status") == "paid":
        owner, reference = _owner(thing), thing.get("payment_intent") or thing.get("id")
        amount = thing.get("amount_total")
        if owner and isinstance(amount, int):
            return Paid(event_id, str(reference), owner[0], owner[1], amount)
    elif kind == "charge.refunded":
        reference, refunded = thing.get("payment_intent"), thing.get("amount_refunded")
        if reference and isinstance(refunded, int):
            ours = _uuid((thing.get("metadata") or {}).get("tenant_id")) is not None
            return Refunded(event_id, str(reference), refunded, ours)
    elif kind == "payment_intent.payment_failed":
        metadata = thing.get("metadata") or {}
        tenant, delivery = _uuid(metadata.get("tenant_id")), _uuid(metadata.get("delivery_id"))
        error = thing.get("last_payment_error") or {}
        if tenant and delivery:
            code = str(error.get("decline_code") or error.get("code") or "payment_failed")
            return PaymentFailed(event_id, str(thing.get("id")), tenant, delivery, code)
    return None
