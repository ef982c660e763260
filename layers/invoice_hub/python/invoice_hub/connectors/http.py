"""The payer hubs' connector (EBILL): a POST of the delivery to the destination's endpoint.

Every send carries the delivery id as `Idempotency-Key`, so a repeated send (a crash after the external
2xx, a duplicate message) is recognised by the external system instead of being billed twice. Before
resending a delivery whose earlier attempt may have reached the system, the Sender asks it first:
`GET` on the same endpoint with the same `Idempotency-Key` answers the first send's answer (2xx) if it
was delivered, 404 if not; any other answer (no such endpoint, an outage, a 2xx without the send's
reference) says nothing, and the resend relies on the key alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from invoice_hub.connectors.base import Parcel, SendResult, StatusCheck, Unasked
from invoice_hub.domain.delivery import Delivery

#: 4xx answers that are worth retrying (timeouts and throttling); every other 4xx is permanent
TRANSIENT_CLIENT_ERRORS = frozenset({408, 429})


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


def reference_of(response: httpx.Response) -> str | None:
    """The external system's reference for a send, from a 2xx body `{"id": ...}` or `{"reference": ...}`."""
    try:
        body = response.json()
    except ValueError:
        return None
    found = body.get("id") or body.get("reference") if isinstance(body, dict) else None
    return str(found) if found is not None else None


def classify(response: httpx.Response) -> SendResult:
    status = response.status_code
    if 200 <= status < 300:
        return SendResult(ok=True, external_reference=reference_of(response))
    reason = f"{status} {response.reason_phrase}".strip()
    if 400 <= status < 500 and status not in TRANSIENT_CLIENT_ERRORS:
        return SendResult(ok=False, permanent=True, reason=f"rejected: {reason}")
    return SendResult(
        ok=False,
        reason=f"unavailable: {reason}",
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
    )


def http_client(timeout_seconds: float) -> httpx.Client:
    """One client per container for every HTTP provider: connections are pooled and reused."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds, connect=min(3.0, timeout_seconds)),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        follow_redirects=False,
    )


def post(client: httpx.Client, url: str, **request: Any) -> SendResult | httpx.Response:
    """The provider's answer, or the result of a send that got none (a timeout, a refused connection)."""
    try:
        return client.post(url, **request)
    except httpx.TimeoutException:
        return SendResult(ok=False, reason="timeout")
    except httpx.TransportError as error:
        return SendResult(ok=False, reason=f"connection failed: {type(error).__name__}")


class HttpConnector:
    idempotent = True

    def __init__(self, timeout_seconds: float) -> None:
        self.client = http_client(timeout_seconds)

    @staticmethod
    def credential_name(delivery: Delivery) -> str | None:
        return delivery.destination.credential_parameter

    @staticmethod
    def headers(delivery: Delivery, credential: str | None) -> dict[str, str]:
        headers = {"Idempotency-Key": str(delivery.id)}
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        return headers

    def status(self, parcel: Parcel) -> StatusCheck:
        """Whether an earlier send of this delivery reached the external system (asked, never sent)."""
        delivery, credential = parcel.delivery, parcel.credential
        try:
            response = self.client.get(
                delivery.destination.endpoint_url, headers=self.headers(delivery, credential)
            )
        except httpx.TransportError:  # timeouts included: the answer is unknown, the key still protects
            return StatusCheck("unknown")
        reference = reference_of(response) if 200 <= response.status_code < 300 else None
        if reference is not None:  # a 2xx without the send's reference (a page, a health check) says nothing
            return StatusCheck("delivered", reference)
        if response.status_code == 404:
            return StatusCheck("not_received")
        return StatusCheck("unknown")

    def send(self, parcel: Parcel) -> SendResult:
        delivery = parcel.delivery
        answer = post(
            self.client,
            delivery.destination.endpoint_url,
            json=payload(delivery),
            headers=self.headers(delivery, parcel.credential),
        )
        return answer if isinstance(answer, SendResult) else classify(answer)


class KeyedProvider(Unasked):
    """A channel provider's HTTP API that takes the delivery id as `Idempotency-Key` and the stack's key
    for it as a bearer token (the voice and print-and-mail providers): a repeat is the provider's replay,
    so an unfinished send is simply sent again."""

    idempotent = True
    path = "/"

    def __init__(self, client: httpx.Client, base_url: str, credential_parameter: str | None) -> None:
        self.client = client
        self.url = base_url.rstrip("/") + self.path
        self.credential_parameter = credential_parameter

    def credential_name(self, delivery: Delivery) -> str | None:
        return self.credential_parameter

    @staticmethod
    def headers(parcel: Parcel) -> dict[str, str]:
        headers = {"Idempotency-Key": str(parcel.delivery.id)}
        if parcel.credential:
            headers["Authorization"] = f"Bearer {parcel.credential}"
        return headers
