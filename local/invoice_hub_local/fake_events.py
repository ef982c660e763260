"""What the fake providers report back, as the real ones do: Stripe's webhook events, signed with the
endpoint's secret (`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`) and POSTed to
the endpoint a moment after the fact, again with back-off while the endpoint does not answer 2xx (Stripe
retries for days; this fake a few times).

Each event is the shape Stripe documents: `{id: "evt_...", object: "event", api_version, created,
data: {object}, livemode: false, pending_webhooks, request, type}`. The events sent are kept for
`GET /_events` (a person, or a test, sees what was told).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections import deque
from typing import Any

import httpx

log = logging.getLogger("invoice_hub_local.fake_events")
API_VERSION = "2024-06-20"
#: seconds before each delivery attempt of one event (the first is the event's own small delay)
ATTEMPTS = (0.3, 1.0, 3.0, 9.0)
MAX_KEPT = 500


def stripe_signature(secret: str, payload: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class StripeWebhooks:
    """Stripe's event deliveries to one endpoint (none until `endpoint` is set)."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.secret: str | None = None
        self.sent: deque[dict[str, Any]] = deque(maxlen=MAX_KEPT)  # {id, type, answered: None until done}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def endpoint(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret

    def stop(self) -> None:
        self._stopping.set()

    def emit(self, kind: str, thing: dict[str, Any]) -> dict[str, Any]:
        """The event of `kind` about `thing`, delivered in the background."""
        event = {
            "id": f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": thing},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
        record: dict[str, Any] = {"id": event["id"], "type": kind, "answered": None}
        with self._lock:
            self.sent.append(record)
        if self.url and self.secret:
            threading.Thread(
                target=self._deliver, args=(event, record), name="stripe-webhook", daemon=True
            ).start()
        return event

    def _deliver(self, event: dict[str, Any], record: dict[str, Any]) -> None:
        payload = json.dumps(event)
        status: int | str = "not sent"
        for wait in ATTEMPTS:
            if self._stopping.wait(wait) or not self.url or not self.secret:
                return
            signature = stripe_signature(self.secret, payload, int(time.time()))
            try:
                answer = httpx.post(
                    self.url,
                    content=payload,
                    headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                    timeout=30,
                )
                status = answer.status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            if isinstance(status, int) and 200 <= status < 300:
                break
        with self._lock:
            record["answered"] = status
        log.info("stripe event %s (%s): %s", event["id"], event["type"], status)

    def listed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(record) for record in self.sent]
