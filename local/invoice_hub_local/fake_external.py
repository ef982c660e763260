"""Fake external systems (payer e-billing hubs; SMS, e-mail, card charge, call and mail channels) on
loopback, with outages that can be switched on and off.

Why: the Sender's retries, permanent failures, DLQ and re-drive can only be seen end to end if the
systems it sends to can fail on demand. Every `POST` outside the control paths (and the providers'
paths below: /voice/, /print-mail/, /v1/) is a send:

- mode `ok`: 201 `{"id": <external reference>, "status": "accepted"}`;
- `fail`: 503; `reject`: 400 with a JSON error; `throttle`: 429 with `Retry-After: 1`; `timeout`: the
  request is held `timeout_seconds` (default 10) and then answered 504, so clients with shorter
  timeouts give up first; `delay_ms` adds latency to every answer (a 100 ms system for benchmarks).

`Idempotency-Key` is honoured per path (each path stands for one provider) like a real provider: a
repeat of a key that was delivered answers the first response again and is recorded as a duplicate,
not as a second delivery. Only deliveries are remembered: a send that met an outage stores nothing,
so its retry is a fresh attempt. The key is claimed before the answer's delay, so two concurrent
repeats still make one delivery. The reference of a keyed send is derived from path and key, so it is
stable across repeats (and across /_reset).

A send's status can be asked for, as real hubs let a producer ask (eBillingHub's status API, Decoda's
invoice read): `GET <path>` with the send's `Idempotency-Key` answers 200 and the first answer's body if
that key was delivered there, 404 if not. It is not a send: it is counted in `status_checks` and listed
in `checks`, never in `received`. An outage (`fail`, `throttle`, `timeout`) answers it as it answers sends.

The channels' providers are played here too, under the same outage modes and the same Idempotency-Key
rule (scoped per path and API key, as providers scope it; fake_providers.py has every detail):

- `POST /voice/v1/calls` JSON `{"to": <E.164>, "message", "from"?}`, bearer key: `201 {"id": "call_...",
  "status": "completed" | "no-answer" (a number ending 0199), "to", "duration_seconds"}`; `400
  invalid_number`; `GET /voice/v1/calls/<id>` reads one.
- `POST /print-mail/v1/letters` multipart (Lob's `to_*` address fields, `description`, the PDF as `file`):
  `200 {"id": "ltr_...", "expected_delivery_date", "status": "created"}`; `422 invalid_file` (not a PDF),
  `422 invalid_address` (no line1).
- `POST /v1/payment_intents`, `GET /v1/payment_intents/<id>`: Stripe's PaymentIntents as the official
  `stripe` SDK calls them (`StripeClient(..., base_addresses={"api": <this url>})`): Stripe's test payment
  methods decline as Stripe does (`402` card errors), replays carry `Idempotent-Replayed: true`, the same
  key with other parameters is `400 idempotency_error`, a key not `sk_test_...` is `401`; outages are
  Stripe's JSON errors.

A provider's `POST` is a send in `/_received` (its form fields listed, a file by name, type and size), a
replay a duplicate; a `GET` there is a read, not a send, and only `fail`, `throttle` and `timeout` reach it.

`GET /_outbox` lists what every channel carried to patients, oldest first: `{"messages": [{"channel",
"to", "subject", "text", "attachments": [{"filename", "content_type", "size"}], "delivery_id", "at",
"reference"}]}`. `channel` is EMAIL, SMS, CALL, MAIL or CHARGE_CARD; `to` the e-mail address, the number
(E.164), the postal address on one line or the card's payment method; `delivery_id` the Idempotency-Key
the provider got (Stripe: `metadata[delivery_id]`, else the key; e-mail: its `X-Invoice-Hub-Delivery`
header; a text: its Context's `delivery_id`); `reference` the provider's id for it (SES's and End User
Messaging's MessageId too). Calls, letters, texts (fake_sms) and card charges come from here, e-mails from
moto's SES in this process, through the `outbox_sources` given (fake_providers.ses_outbox). Replays and
refused sends carried nothing and are not listed.

Control: `POST /_control` `{"mode": ..., "delay_ms": 0, "timeout_seconds": 10}` (omitted fields
take those defaults), `GET /_control`, `GET /_received` (every send: path, key, mode met, status,
duplicate, delivered, time, JSON body; it is a local fake, bodies are fine here; and the status checks),
`POST /_reset` (the outbox too).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from invoice_hub_local.fake_events import CallWebhooks, LetterWebhooks, StripeWebhooks
from invoice_hub_local.fake_providers import (
    Carried,
    Incoming,
    Providers,
    Remembered,
    Reply,
    is_provider,
    outage_reply,
)
from invoice_hub_local.fake_sms import TARGET_PREFIX as SMS_TARGET_PREFIX
from invoice_hub_local.fake_sms import EndUserMessaging

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 3001
MODES = ("ok", "fail", "timeout", "reject", "throttle")
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_RECORDED = 10_000  # the newest sends kept for /_received; the counters keep counting
CONTROL_PATHS = frozenset({"/_control", "/_received", "/_reset", "/_outbox"})
_CONTROL_FIELDS = frozenset({"mode", "delay_ms", "timeout_seconds"})


@dataclass(frozen=True)
class Settings:
    mode: str = "ok"
    delay_ms: int = 0
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def parse(cls, data: Any) -> Settings:
        """Validates a /_control body; raises ValueError with what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        unknown = set(data) - _CONTROL_FIELDS
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        mode = data.get("mode")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}")
        delay_ms = data.get("delay_ms", 0)
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or delay_ms < 0:
            raise ValueError("delay_ms must be a non-negative integer")
        timeout = data.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 <= timeout <= 3600:
            raise ValueError("timeout_seconds must be a number between 0 and 3600")
        return cls(mode=mode, delay_ms=delay_ms, timeout_seconds=float(timeout))


@dataclass(frozen=True)
class Send:
    """One send as /_received lists it."""

    path: str
    idempotency_key: str | None
    mode: str
    status: int
    duplicate: bool
    delivered: bool
    external_id: str | None
    at: str
    body: Any
    authorization: str | None = None  # the scheme only ("Bearer"): a fake still never echoes a secret


@dataclass(frozen=True)
class Check:
    """One status check as /_received lists it under `checks`."""

    path: str
    idempotency_key: str
    mode: str
    status: int
    at: str


def _json(status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in headers:
        response.headers[name] = value
    return response


def _outage(mode: str) -> Reply:
    if mode == "fail":
        return Reply(503, {"error": "service_unavailable", "message": "the external system is down"})
    if mode == "reject":
        return Reply(400, {"error": "rejected", "message": "the external system refused this request"})
    if mode == "throttle":
        return Reply(429, {"error": "throttled", "message": "too many requests"}, (("Retry-After", "1"),))
    return Reply(504, {"error": "timeout", "message": "the external system did not answer in time"})


class FakeExternal:
    """The fake systems on http://127.0.0.1:<port>; `port` None reads FAKE_EXTERNAL_PORT (default
    3001), 0 picks a free port."""

    def __init__(
        self,
        host: str = HOST,
        port: int | None = None,
        outbox_sources: Sequence[Callable[[], list[Carried]]] = (),
        on_reset: Callable[[], None] | None = None,
    ) -> None:
        chosen = int(os.environ.get("FAKE_EXTERNAL_PORT", DEFAULT_PORT)) if port is None else port
        self.outbox_sources = list(outbox_sources)
        self.on_reset = on_reset
        self.stripe_events = StripeWebhooks()
        self.call_events = CallWebhooks()
        self.letter_events = LetterWebhooks()
        self.sms = EndUserMessaging()
        self._providers = Providers(self.stripe_events, self.call_events, self.letter_events)
        self._provider_answers: dict[tuple[str, str, str], Remembered] = {}  # (path, API key, key)
        self._carried: deque[Carried] = deque(maxlen=MAX_RECORDED)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._settings = Settings()
        self._delivered: dict[tuple[str, str], Reply] = {}
        self._sends: deque[Send] = deque(maxlen=MAX_RECORDED)
        self._checks: deque[Check] = deque(maxlen=MAX_RECORDED)
        self._counts = {"sends": 0, "delivered": 0, "duplicates": 0, "status_checks": 0}
        self._server: BaseWSGIServer = make_server(host, chosen, self._app, threaded=True)
        self.host = host
        self.port: int = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-external", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeExternal:
        self._thread.start()
        log.info("fake external systems on %s", self.url)
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends held timeouts and delays at once
        for webhooks in (self.stripe_events, self.call_events, self.letter_events):
            webhooks.stop()
        self.sms.stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FakeExternal:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- the same controls in-process ----------------------------------------------------------------
    def settings(self) -> Settings:
        with self._lock:
            return self._settings

    def control(
        self, mode: str, delay_ms: int = 0, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ) -> Settings:
        """Switches the mode (and latency) for every send from now on; ValueError if invalid."""
        return self._apply(
            Settings.parse({"mode": mode, "delay_ms": delay_ms, "timeout_seconds": timeout_seconds})
        )

    def reset(self) -> None:
        """Forgets every send and delivered key, and ends any outage."""
        with self._lock:
            self._settings = Settings()
            self._delivered.clear()
            self._sends.clear()
            self._checks.clear()
            self._counts = dict.fromkeys(self._counts, 0)
            self._providers.reset()
            self._provider_answers.clear()
            self._carried.clear()
        if self.on_reset is not None:
            self.on_reset()

    def received(self) -> dict[str, Any]:
        """Counters since the last reset, the newest sends and status checks, oldest first."""
        with self._lock:
            return {
                **self._counts,
                "received": [asdict(send) for send in self._sends],
                "checks": [asdict(check) for check in self._checks],
            }

    def outbox(self) -> dict[str, Any]:
        """What every channel carried, oldest first."""
        with self._lock:
            carried = list(self._carried)
        for source in self.outbox_sources:
            carried.extend(source())
        return {"messages": [c.listed() for c in sorted(carried, key=lambda c: c.at)]}

    def _apply(self, settings: Settings) -> Settings:
        with self._lock:
            self._settings = settings
        log.info("fake external systems: mode %s, delay %d ms", settings.mode, settings.delay_ms)
        return settings

    # -- HTTP ------------------------------------------------------------------------------------------
    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = self._route(Request(environ))
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/_control" and method == "GET":
            return _json(200, asdict(self.settings()))
        if path == "/_control" and method == "POST":
            try:
                settings = self._apply(Settings.parse(json.loads(request.get_data(as_text=True))))
            except ValueError as error:  # json.JSONDecodeError is a ValueError too
                return _json(400, {"error": "invalid_control", "message": str(error)})
            return _json(200, asdict(settings))
        if path == "/_received" and method == "GET":
            return _json(200, self.received())
        if path == "/_reset" and method == "POST":
            self.reset()
            return _json(200, asdict(self.settings()))
        if path == "/_outbox" and method == "GET":
            return _json(200, self.outbox())
        if path == "/_events" and method == "GET":
            return _json(
                200,
                {
                    "stripe": self.stripe_events.listed(),
                    "voice": self.call_events.listed(),
                    "print-mail": self.letter_events.listed(),
                },
            )
        if path in ("/_stripe/checkout", "/_stripe/refund") and method == "POST":
            return self._stripe_action(path, request)
        if is_provider(path):
            return self._provider(request)
        target = request.headers.get("X-Amz-Target") or ""
        if method == "POST" and target.startswith(SMS_TARGET_PREFIX):
            return self._sms(target, request)
        key = request.headers.get("Idempotency-Key") or None
        if path not in CONTROL_PATHS and method == "GET" and key is not None:
            return self._status(path, key)
        if path in CONTROL_PATHS or method != "POST":
            return _json(405, {"error": "method_not_allowed", "message": "sends are POST requests"})
        return self._send(request)

    def _sms(self, target: str, request: Request) -> Response:
        """End User Messaging SMS's API (fake_sms): a text, under the current outage mode."""
        body = request.get_data()
        with self._lock:
            (status, answer), carried = self.sms.handle(target, body, self._settings.mode)
            if carried is not None:
                self._carried.append(carried)
        return Response(json.dumps(answer), status=status, content_type="application/x-amz-json-1.0")

    def _stripe_action(self, path: str, request: Request) -> Response:
        """A patient pays through the payment link (`{tenant_id, invoice_id, amount}`), or a payment is
        refunded (`{payment_intent, amount}`): Stripe's event goes to the webhook endpoint."""
        try:
            given = json.loads(request.get_data(as_text=True))
            amount = int(given["amount"])
            event: dict[str, Any] | None
            with self._lock:
                if path == "/_stripe/checkout":
                    event = self._providers.checkout(
                        str(given["tenant_id"]), str(given["invoice_id"]), amount
                    )
                else:
                    event = self._providers.refund(str(given["payment_intent"]), amount)
        except (ValueError, KeyError, TypeError) as error:
            return _json(400, {"error": "invalid_request", "message": str(error)})
        if event is None:
            return _json(404, {"error": "not_found", "message": "no such payment_intent"})
        return _json(200, event)

    def _status(self, path: str, key: str) -> Response:
        """What became of the send with this key on this path: its first answer, or 404."""
        with self._lock:
            settings = self._settings
            if settings.mode in ("fail", "throttle", "timeout"):
                answer = _outage(settings.mode)
            elif (path, key) in self._delivered:
                first = self._delivered[(path, key)]
                answer = Reply(200, first.body)
            else:
                answer = Reply(404, {"error": "not_found", "message": "no send with this Idempotency-Key"})
            self._checks.append(Check(path, key, settings.mode, answer.status, datetime.now(UTC).isoformat()))
            self._counts["status_checks"] += 1
        hold = settings.delay_ms / 1000 + (settings.timeout_seconds if settings.mode == "timeout" else 0)
        self._stopping.wait(hold)
        return _json(answer.status, answer.body, answer.headers)

    def _provider(self, request: Request) -> Response:
        """A channel provider's answer: an outage, the first answer to a repeated key, or a new one. A
        read (GET) is not a send: only `fail`, `throttle` and `timeout` reach it, as with status checks."""
        incoming = Incoming.read(request)  # the whole body, before the lock
        send = incoming.method == "POST"
        scope = (incoming.path, incoming.credential, incoming.key or "")
        with self._lock:
            settings = self._settings
            remembered = self._provider_answers.get(scope) if send and incoming.key else None
            duplicate, carried = False, None
            if settings.mode != "ok" and (send or settings.mode != "reject"):
                reply = outage_reply(incoming.path, settings.mode)
            elif remembered is not None:
                reply, duplicate = self._providers.replay(incoming, remembered)
            else:
                handled = self._providers.handle(incoming)
                reply, carried = handled.reply, handled.carried
                if send and incoming.key and handled.remember:
                    self._provider_answers[scope] = Remembered(incoming.parameters(), reply)
                if carried is not None:
                    self._carried.append(carried)
            if send:
                self._sends.append(
                    Send(
                        path=incoming.path,
                        idempotency_key=incoming.key,
                        mode=settings.mode,
                        status=reply.status,
                        duplicate=duplicate,
                        delivered=carried is not None,
                        external_id=carried.reference if carried is not None else None,
                        at=datetime.now(UTC).isoformat(),
                        body=incoming.listed_body(),
                        authorization=incoming.authorization.partition(" ")[0] or None,
                    )
                )
                self._counts["sends"] += 1
                self._counts["delivered"] += int(carried is not None)
                self._counts["duplicates"] += int(duplicate)
        hold = settings.delay_ms / 1000 + (settings.timeout_seconds if settings.mode == "timeout" else 0)
        self._stopping.wait(hold)
        return _json(reply.status, reply.body, reply.headers)

    def _send(self, request: Request) -> Response:
        raw = request.get_data(as_text=True)
        try:
            body = json.loads(raw) if raw else None
            malformed = False
        except ValueError:
            body, malformed = raw, True
        key = request.headers.get("Idempotency-Key") or None
        with self._lock:
            settings = self._settings
            answer, duplicate, delivered = self._decide(request.path, key, settings, malformed)
            external_id = answer.body.get("id") if answer.status == 201 else None
            self._sends.append(
                Send(
                    path=request.path,
                    idempotency_key=key,
                    mode=settings.mode,
                    status=answer.status,
                    duplicate=duplicate,
                    delivered=delivered,
                    external_id=external_id,
                    at=datetime.now(UTC).isoformat(),
                    body=body,
                    authorization=(request.headers.get("Authorization") or "").partition(" ")[0] or None,
                )
            )
            self._counts["sends"] += 1
            self._counts["delivered"] += int(delivered)
            self._counts["duplicates"] += int(duplicate)
        hold = settings.delay_ms / 1000
        if settings.mode == "timeout":
            hold += settings.timeout_seconds
        self._stopping.wait(hold)
        return _json(answer.status, answer.body, answer.headers)

    def _decide(
        self, path: str, key: str | None, settings: Settings, malformed: bool
    ) -> tuple[Reply, bool, bool]:
        """(answer, duplicate, delivered) for one send; called with the lock held."""
        if settings.mode != "ok":
            return _outage(settings.mode), False, False
        if malformed:
            return Reply(400, {"error": "malformed_json", "message": "the body is not JSON"}), False, False
        if key is not None and (path, key) in self._delivered:
            return self._delivered[(path, key)], True, False
        if key is None:
            reference = f"ext_{uuid.uuid4().hex[:24]}"
        else:
            reference = "ext_" + hashlib.sha256(f"{path}\n{key}".encode()).hexdigest()[:24]
        answer = Reply(201, {"id": reference, "status": "accepted"})
        if key is not None:
            self._delivered[(path, key)] = answer
        return answer, False, True


def main() -> None:
    """`python -m invoice_hub_local.fake_external`: the fakes alone, until Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    fake = FakeExternal().start()
    log.info('POST %s/_control with {"mode": "fail"} to start an outage; Ctrl-C stops', fake.url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
