"""What Stripe reports by webhook, authenticated by its signature and read into what the service records.

`Stripe-Signature` is `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's signing
secret>` (more than one `v1` while a secret is rolled; other schemes ignored). The check is Stripe's own,
as its Python SDK (`stripe.Webhook.construct_event`, stripe 16) makes it, written out here so that the
webhook's function does not import the SDK (with requests, httpx and asyncio, about half the floor of a
cold start: docs/decisions/027-stripe-signature-checked-without-the-sdk.md): the header read as the SDK
reads it, the HMAC compared in constant time with each `v1`, a timestamp older than five minutes refused
(so a captured event cannot be replayed later), and the body an event object.
`tests/unit/test_stripe_signature.py` holds it to the SDK's verdict on generated headers, bodies, secrets
and times.

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
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

TOLERANCE_SECONDS = 300  # the SDK's default: Stripe's recommended five minutes


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


def signature_of(secret: str, timestamp: str | int, payload: str) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<payload>` with `secret`: Stripe's scheme, and the voice and
    print-and-mail providers' (connectors/provider_events.py)."""
    return hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()


def same_signature(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures as bytes (a given one may be any text)."""
    return hmac.compare_digest(expected.encode(), given.encode())


def event_of(payload: str) -> dict[str, Any]:
    """The body as an event object; Unauthentic if it is not JSON or not an object."""
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise Unauthentic("the body is not an event") from error
    if not isinstance(event, dict):
        raise Unauthentic("the body is not an event")
    return event


def verified(payload: str, signature: str | None, secret: str, now: float | None = None) -> dict[str, Any]:
    """The event, if Stripe signed it with `secret` within the tolerance; else Unauthentic."""
    if not signature:
        raise Unauthentic("no Stripe-Signature header")
    if not secret.strip(" \t\r\n\f\v"):
        raise Unauthentic("no webhook signing secret is configured")
    elements = [element.split("=", 2) for element in signature.split(",")]
    try:  # as the SDK reads it: the first `t`, every `v1`; an element without "=" under either is malformed
        stamps = [element[1] for element in elements if element[0] == "t"]
        timestamp = int(stamps[0])
        given = [element[1] for element in elements if element[0] == "v1"]
    except (IndexError, ValueError) as error:
        raise Unauthentic("the Stripe-Signature has no timestamp") from error
    expected = signature_of(secret, timestamp, payload)
    if not any(same_signature(expected, one) for one in given):
        raise Unauthentic("the Stripe-Signature does not verify")
    if timestamp < (time.time() if now is None else now) - TOLERANCE_SECONDS:
        raise Unauthentic("the Stripe-Signature is older than five minutes")
    event = event_of(payload)
    if event.get("object") == "v2.core.event":  # a thin event: the SDK refuses it as a webhook body
        raise Unauthentic("the body is not a Stripe event")
    return event


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
