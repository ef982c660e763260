"""One HTTP connector for every destination: a POST of the delivery to the destination's endpoint.

Every send carries the delivery id as `Idempotency-Key`, so a repeated send (a crash after the external
2xx, a duplicate message) is recognised by the external system instead of being billed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from invoice_hub.models.delivery import Delivery

#: 4xx answers that are worth retrying (timeouts and throttling); every other 4xx is permanent
TRANSIENT_CLIENT_ERRORS = frozenset({408, 429})


@dataclass(frozen=True)
class SendResult:
    ok: bool
    permanent: bool = False
    reason: str = ""
    external_reference: str | None = None
    retry_after: int | None = None


def payload(delivery: Delivery) -> dict[str, Any]:
    """What the external system receives about a delivery."""
    return {
        "delivery_id": str(delivery.id),
        "submission_id": str(delivery.submission_id),
        "invoice_ids": [str(i) for i in delivery.invoice_ids],
        "method": str(delivery.method),
        "amount_cents": delivery.amount_cents,
        "message": delivery.message,
        "patient_id": str(delivery.patient_id) if delivery.patient_id else None,
        "appointment_id": str(delivery.appointment_id) if delivery.appointment_id else None,
        "payor_org_id": delivery.payor_org_id,
        "payor_org_ebilling_id": delivery.payor_org_ebilling_id,
    }


def retry_after_seconds(value: str | None, now: datetime | None = None) -> int | None:
    """Retry-After as delay-seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, int((when - (now or datetime.now(UTC))).total_seconds()))


def classify(response: httpx.Response) -> SendResult:
    status = response.status_code
    if 200 <= status < 300:
        reference: str | None = None
        try:
            body = response.json()
            if isinstance(body, dict):
                found = body.get("id") or body.get("reference")
                reference = str(found) if found is not None else None
        except ValueError:
            reference = None
        return SendResult(ok=True, external_reference=reference)
    reason = f"{status} {response.reason_phrase}".strip()
    if 400 <= status < 500 and status not in TRANSIENT_CLIENT_ERRORS:
        return SendResult(ok=False, permanent=True, reason=f"rejected: {reason}")
    return SendResult(
        ok=False,
        reason=f"unavailable: {reason}",
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
    )


class HttpConnector:
    """One client per container: connections are pooled and reused across invocations."""

    def __init__(self, timeout_seconds: float) -> None:
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds, connect=min(3.0, timeout_seconds)),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            follow_redirects=False,
        )

    def send(self, delivery: Delivery, credential: str | None) -> SendResult:
        headers = {"Idempotency-Key": str(delivery.id)}
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        try:
            response = self.client.post(
                delivery.destination.endpoint_url, json=payload(delivery), headers=headers
            )
        except httpx.TimeoutException:
            return SendResult(ok=False, reason="timeout")
        except httpx.TransportError as error:
            return SendResult(ok=False, reason=f"connection failed: {type(error).__name__}")
        return classify(response)
