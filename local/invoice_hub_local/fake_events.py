"""What the fake providers report back, as real ones do: events signed with the endpoint's secret and
POSTed to it a moment after the fact, again with back-off while the endpoint does not answer 2xx (real
providers retry for hours or days; these a few times).

- Stripe: `{id: "evt_...", object: "event", api_version, created, data: {object}, livemode: false,
  pending_webhooks, request, type}`, signed `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
  "<t>.<body>">`.
- The print-and-mail provider (Lob's scheme): `{id: "evt_...", object: "event", event_type: {id:
  "letter.delivered", ...}, body: <the letter>, reference_id, date_created}`, signed `Lob-Signature: <hex
  HMAC-SHA256 of "<timestamp>.<body>">` with `Lob-Signature-Timestamp`.
- The voice provider: `{id: "vev_...", type: "call.completed", created, data: {call}}`, signed as Stripe
  signs, in `Voice-Signature`.

The events sent are kept for `GET /_events` (a person, or a test, sees what was told and what the
endpoint answered).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger("invoice_hub_local.fake_events")
API_VERSION = "2024-06-20"
#: seconds before each delivery attempt of one event (the first is the event's own small delay)
ATTEMPTS = (0.2, 1.0, 3.0, 9.0)
MAX_KEPT = 500


def stripe_signature(secret: str, payload: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def lob_signature(secret: str, payload: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()


def stripe_headers(secret: str, payload: str, timestamp: int) -> dict[str, str]:
    return {"Stripe-Signature": stripe_signature(secret, payload, timestamp)}


def voice_headers(secret: str, payload: str, timestamp: int) -> dict[str, str]:
    return {"Voice-Signature": stripe_signature(secret, payload, timestamp)}


def lob_headers(secret: str, payload: str, timestamp: int) -> dict[str, str]:
    return {
        "Lob-Signature": lob_signature(secret, payload, timestamp),
        "Lob-Signature-Timestamp": str(timestamp),
    }


class SignedWebhooks:
    """One provider's event deliveries to one endpoint (none until `endpoint` is set)."""

    def __init__(self, sign: Callable[[str, str, int], dict[str, str]]) -> None:
        self.sign = sign
        self.url: str | None = None
        self.secret: str | None = None
        self.sent: deque[dict[str, Any]] = deque(maxlen=MAX_KEPT)  # {id, type, answered: None until done}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # one deliverer, in the order of the facts (a letter is mailed before it is delivered)
        self._queue: queue.Queue[tuple[dict[str, Any], dict[str, Any]]] = queue.Queue()
        self._worker: threading.Thread | None = None

    def endpoint(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret

    def stop(self) -> None:
        self._stopping.set()

    def send(self, event: dict[str, Any], kind: str) -> dict[str, Any]:
        """Delivers `event` (of `kind`) in the background; returns it."""
        record: dict[str, Any] = {"id": event["id"], "type": kind, "answered": None}
        with self._lock:
            self.sent.append(record)
        if self.url and self.secret:
            with self._lock:
                if self._worker is None:
                    self._worker = threading.Thread(target=self._work, name="webhooks", daemon=True)
                    self._worker.start()
            self._queue.put((event, record))
        return event

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                event, record = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            self._deliver(event, record)

    def _deliver(self, event: dict[str, Any], record: dict[str, Any]) -> None:
        payload = json.dumps(event)
        status: int | str = "not sent"
        for wait in ATTEMPTS:
            if self._stopping.wait(wait) or not self.url or not self.secret:
                return
            headers = {
                "Content-Type": "application/json",
                **self.sign(self.secret, payload, int(time.time())),
            }
            try:
                status = httpx.post(self.url, content=payload, headers=headers, timeout=30).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            if isinstance(status, int) and 200 <= status < 300:
                break
        with self._lock:
            record["answered"] = status
        log.info("event %s (%s): %s", event["id"], record["type"], status)

    def listed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(record) for record in self.sent]


class StripeWebhooks(SignedWebhooks):
    def __init__(self) -> None:
        super().__init__(stripe_headers)

    def emit(self, kind: str, thing: dict[str, Any]) -> dict[str, Any]:
        """Stripe's event of `kind` about `thing`."""
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
        return self.send(event, kind)


class LetterWebhooks(SignedWebhooks):
    def __init__(self) -> None:
        super().__init__(lob_headers)

    def emit(self, kind: str, letter: dict[str, Any]) -> dict[str, Any]:
        """The print-and-mail provider's event of `kind` (`letter.mailed`, ...) about a letter."""
        event = {
            "id": f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "event_type": {
                "id": kind,
                "enabled_for_test": True,
                "resource": "letters",
                "object": "event_type",
            },
            "body": letter,
            "reference_id": letter.get("id"),
            "date_created": datetime.now(UTC).isoformat(),
        }
        return self.send(event, kind)


class CallWebhooks(SignedWebhooks):
    def __init__(self) -> None:
        super().__init__(voice_headers)

    def emit(self, kind: str, call: dict[str, Any]) -> dict[str, Any]:
        """The voice provider's event of `kind` (`call.completed`, ...) about a call."""
        event = {
            "id": f"vev_{uuid.uuid4().hex[:24]}",
            "type": kind,
            "created": int(time.time()),
            "data": {"call": call},
        }
        return self.send(event, kind)
