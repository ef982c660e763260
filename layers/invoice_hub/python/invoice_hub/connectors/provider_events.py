"""What the voice and print-and-mail providers report after a send, by signed webhook.

- Print-and-mail (Lob's scheme): `Lob-Signature` is the hex HMAC-SHA256, with the endpoint's secret, of
  `<Lob-Signature-Timestamp>.<body>`; the event is `{id, event_type: {id: "letter.<...>"}, body: <the
  letter>, ...}`. Mailed, in transit, in the local area, processed for delivery, re-routed, delivered;
  returned to sender ends the method (the address is wrong).
- Voice: `Voice-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the endpoint's
  secret; the event is `{id, type: "call.<...>", data: {call}}`. Completed, no answer, busy; failed ends
  the method (the number cannot be called).

Both refuse a signature older than five minutes (a captured event replayed later) and compare in constant
time. The send is named by the `metadata` the connectors gave the call or letter (`tenant_id`,
`delivery_id`), which the provider reports back; the fact's id is the provider's event id.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from invoice_hub.connectors.base import ChannelEvent
from invoice_hub.connectors.stripe_events import Unauthentic, event_of, same_signature, signature_of
from invoice_hub.domain.delivery import Method

TOLERANCE_SECONDS = 300
#: letter event -> (history status, the letter's status, ends the method)
LETTERS = {
    "letter.created": ("accepted", "created", False),
    "letter.rendered_pdf": ("accepted", "rendered", False),
    "letter.mailed": ("mailed", "mailed", False),
    "letter.in_transit": ("in_transit", "in_transit", False),
    "letter.in_local_area": ("in_transit", "in_local_area", False),
    "letter.processed_for_delivery": ("in_transit", "processed_for_delivery", False),
    "letter.re-routed": ("in_transit", "re-routed", False),
    "letter.delivered": ("delivered", "delivered", False),
    "letter.returned_to_sender": ("returned_to_sender", "returned_to_sender", True),
}
#: call event -> (history status, Decoda's callStatus, ends the method)
CALLS = {
    "call.completed": ("call_completed", "completed", False),
    "call.no_answer": ("call_not_answered", "no-answer", False),
    "call.busy": ("call_busy", "busy", False),
    "call.failed": ("call_failed", "failed", True),
}


def _fresh(timestamp: str, now: float | None) -> bool:
    try:
        return abs((now or time.time()) - int(timestamp)) <= TOLERANCE_SECONDS
    except (ValueError, OverflowError):  # not a number, or far beyond any time
        return False


def verified_letter_event(
    payload: str, signature: str | None, timestamp: str | None, secret: str, now: float | None = None
) -> dict[str, Any]:
    if not signature or not timestamp:
        raise Unauthentic("no Lob-Signature and Lob-Signature-Timestamp headers")
    if not _fresh(timestamp, now):
        raise Unauthentic("the signature's timestamp is not within five minutes")
    if not same_signature(signature_of(secret, timestamp, payload), signature.strip()):
        raise Unauthentic("the Lob-Signature does not verify")
    return event_of(payload)


def verified_call_event(
    payload: str, signature: str | None, secret: str, now: float | None = None
) -> dict[str, Any]:
    if not signature:
        raise Unauthentic("no Voice-Signature header")
    parts = dict(part.split("=", 1) for part in signature.split(",") if "=" in part)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not _fresh(timestamp, now):
        raise Unauthentic("the signature's timestamp is not within five minutes")
    if not same_signature(signature_of(secret, timestamp, payload), given.strip()):
        raise Unauthentic("the Voice-Signature does not verify")
    return event_of(payload)


def _ids(thing: dict[str, Any]) -> tuple[UUID, UUID] | None:
    metadata = thing.get("metadata") or {}
    if not isinstance(metadata, dict):
        return None
    try:
        return UUID(str(metadata.get("tenant_id"))), UUID(str(metadata.get("delivery_id")))
    except ValueError:
        return None


def read_letter_event(event: dict[str, Any]) -> ChannelEvent | None:
    kind = (
        str((event.get("event_type") or {}).get("id", ""))
        if isinstance(event.get("event_type"), dict)
        else ""
    )
    letter = event.get("body")
    if kind not in LETTERS or not isinstance(letter, dict):
        return None
    ids = _ids(letter)
    if ids is None:
        return None
    history, status, ends = LETTERS[kind]
    return ChannelEvent(
        ids[0], ids[1], f"print-mail:{event.get('id')}", "print-mail", Method.MAIL, history, status, ends
    )


def read_call_event(event: dict[str, Any]) -> ChannelEvent | None:
    kind = str(event.get("type", ""))
    call = (event.get("data") or {}).get("call") if isinstance(event.get("data"), dict) else None
    if kind not in CALLS or not isinstance(call, dict):
        return None
    ids = _ids(call)
    if ids is None:
        return None
    history, status, ends = CALLS[kind]
    return ChannelEvent(
        ids[0], ids[1], f"voice:{event.get('id')}", "voice", Method.CALL, history, status, ends
    )
