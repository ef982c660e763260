"""The channels' HTTP providers as the fake external server plays them, and what each carried (the outbox).

- Voice calls: `POST /voice/v1/calls` JSON `{"to": <E.164>, "message"}` with a bearer key; `201 {"id":
  "call_...", "status": "completed" | "no-answer", "to", "duration_seconds"}` (a number ending in 0199 does
  not answer); a `to` that is not E.164 is `400 invalid_number`. `GET /voice/v1/calls/<id>` reads one.
- Letters (Lob's letters API shape): `POST /print-mail/v1/letters` multipart/form-data with `to_name`,
  `to_address_line1` (required), `to_address_line2`, `to_address_city`, `to_address_state`,
  `to_address_zip`, `to_address_country`, `description` and the PDF as `file`; `200 {"id": "ltr_...",
  "expected_delivery_date", "status": "created"}`; a file that is not a PDF is `422 invalid_file`.
- Stripe's PaymentIntents, as the official SDK calls them: `POST /v1/payment_intents` (form-encoded,
  `Authorization: Bearer sk_test_...`), `GET /v1/payment_intents/<id>`. Stripe's test payment methods
  decide the outcome: `pm_card_chargeDeclined` (generic_decline), `pm_card_chargeDeclinedInsufficientFunds`,
  `pm_card_chargeDeclinedExpiredCard`, `pm_card_chargeDeclinedProcessingError`,
  `pm_card_authenticationRequired` answer `402` card errors as Stripe does; any other `pm_...` succeeds.
  A key not starting `sk_test_` is `401`.

Each honours `Idempotency-Key` per path as its real kind does: a repeat is the first answer again
(Stripe: with `Idempotent-Replayed: true`; a repeat with other parameters is Stripe's `400
idempotency_error`), never a second call, letter or charge. The server's outage modes apply to them all.
"""

from __future__ import annotations

import email
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from typing import Any

from werkzeug.wrappers import Request

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
PROVIDER_PREFIXES = ("/voice/", "/print-mail/", "/v1/")
#: Stripe's test payment methods that decline: (HTTP status, code, decline code, message)
DECLINES = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedProcessingError": (
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "pm_card_authenticationRequired": (
        "authentication_required",
        "authentication_required",
        "Your card was declined. This transaction requires authentication.",
    ),
}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Carried:
    """One message a channel carried to a patient, as `/_outbox` lists it."""

    channel: str
    to: str
    subject: str | None
    text: str | None
    attachments: list[Attachment] = field(default_factory=list)
    delivery_id: str | None = None
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def listed(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Handled:
    """A provider's answer and, when it carried something, what."""

    reply: Reply
    carried: Carried | None = None
    remember: bool = True  # an idempotent result (Stripe keeps declines too; not validation errors)


def is_provider(path: str) -> bool:
    return path.startswith(PROVIDER_PREFIXES)


def outage_reply(path: str, mode: str) -> Reply:
    """An outage as the provider on `path` answers it (Stripe's errors are JSON with a type)."""
    status = {"fail": 503, "reject": 400, "throttle": 429}.get(mode, 504)
    headers = (("Retry-After", "1"),) if mode == "throttle" else ()
    if path.startswith("/v1/"):
        kind = (
            "rate_limit_error" if status == 429 else "invalid_request_error" if status == 400 else "api_error"
        )
        return Reply(
            status, {"error": {"type": kind, "message": f"the fake Stripe is in mode {mode}"}}, headers
        )
    return Reply(status, {"error": mode, "message": f"the provider is in mode {mode}"}, headers)


def one_line(fields: dict[str, str]) -> str:
    state_zip = " ".join(p for p in (fields.get("to_address_state"), fields.get("to_address_zip")) if p)
    parts = (
        fields.get("to_address_line1"),
        fields.get("to_address_line2"),
        fields.get("to_address_city"),
        state_zip,
        fields.get("to_address_country")
        if fields.get("to_address_country") not in (None, "", "US")
        else None,
    )
    return ", ".join(p for p in parts if p)


def reference(prefix: str, path: str, key: str | None) -> str:
    seed = f"{path}\n{key}" if key else uuid.uuid4().hex
    return f"{prefix}_{hashlib.sha256(seed.encode()).hexdigest()[:24]}"


class Providers:
    """The providers' state: their calls, letters and payment intents by id (the server holds the lock)."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        self.calls.clear()
        self.intents.clear()

    def handle(self, request: Request, key: str | None) -> Handled:
        path, method = request.path, request.method
        if path == "/voice/v1/calls" and method == "POST":
            return self._call(request, key)
        if path.startswith("/voice/v1/calls/") and method == "GET":
            found = self.calls.get(path.rsplit("/", 1)[1])
            return Handled(Reply(200, found) if found else Reply(404, {"error": "not_found"}), remember=False)
        if path == "/print-mail/v1/letters" and method == "POST":
            return self._letter(request, key)
        if path == "/v1/payment_intents" and method == "POST":
            return self._charge(request, key)
        if path.startswith("/v1/payment_intents/") and method == "GET":
            return self._intent(request, path.rsplit("/", 1)[1])
        return Handled(Reply(404, {"error": "not_found", "message": f"no {method} {path}"}), remember=False)

    # -- voice ---------------------------------------------------------------------------------------
    def _call(self, request: Request, key: str | None) -> Handled:
        if not (request.headers.get("Authorization") or "").startswith("Bearer "):
            return Handled(Reply(401, {"error": "unauthorized"}), remember=False)
        try:
            body = json.loads(request.get_data(as_text=True))
        except ValueError:
            return Handled(Reply(400, {"error": "malformed_json"}), remember=False)
        to, message = (body.get("to"), body.get("message")) if isinstance(body, dict) else (None, None)
        if not isinstance(to, str) or not E164.match(to):
            return Handled(
                Reply(400, {"error": "invalid_number", "message": "to must be E.164"}), remember=False
            )
        if not isinstance(message, str) or not message:
            return Handled(Reply(400, {"error": "invalid_message"}), remember=False)
        answered = not to.endswith("0199")
        call: dict[str, Any] = {
            "id": reference("call", request.path, key),
            "status": "completed" if answered else "no-answer",
            "to": to,
            "duration_seconds": max(3, len(message) // 12) if answered else 0,
        }
        self.calls[call["id"]] = call
        return Handled(Reply(201, call), Carried("CALL", to, None, message, delivery_id=key))

    # -- letters -------------------------------------------------------------------------------------
    def _letter(self, request: Request, key: str | None) -> Handled:
        if not (request.headers.get("Authorization") or "").startswith("Bearer "):
            return Handled(Reply(401, {"error": "unauthorized"}), remember=False)
        fields = {name: request.form.get(name, "") for name in request.form}
        upload = request.files.get("file")
        pdf = upload.read() if upload is not None else b""
        if not pdf.startswith(b"%PDF-"):
            return Handled(
                Reply(422, {"error": "invalid_file", "message": "file must be a PDF"}), remember=False
            )
        if not fields.get("to_address_line1"):
            return Handled(
                Reply(422, {"error": "invalid_address", "message": "to_address_line1 is required"}),
                remember=False,
            )
        letter = {
            "id": reference("ltr", request.path, key),
            "expected_delivery_date": (date.today() + timedelta(days=5)).isoformat(),
            "status": "created",
        }
        name = upload.filename if upload is not None and upload.filename else "letter.pdf"
        carried = Carried(
            "MAIL",
            one_line(fields),
            None,
            fields.get("description") or None,
            [Attachment(name, "application/pdf", len(pdf))],
            delivery_id=key,
        )
        return Handled(Reply(200, letter), carried)

    # -- Stripe --------------------------------------------------------------------------------------
    @staticmethod
    def _stripe_key_refused(request: Request) -> Handled | None:
        secret = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        if secret.startswith("sk_test_"):
            return None
        message = "Invalid API Key provided"
        return Handled(
            Reply(401, {"error": {"type": "invalid_request_error", "message": message}}), remember=False
        )

    def _charge(self, request: Request, key: str | None) -> Handled:
        refused = self._stripe_key_refused(request)
        if refused:
            return refused
        form = {name: request.form.get(name, "") for name in request.form}
        try:
            amount = int(form.get("amount", ""))
        except ValueError:
            missing = {"type": "invalid_request_error", "code": "parameter_missing", "param": "amount"}
            return Handled(
                Reply(400, {"error": {**missing, "message": "Missing required param: amount."}}),
                remember=False,
            )
        method = form.get("payment_method", "")
        metadata = {
            name[len("metadata[") : -1]: value for name, value in form.items() if name.startswith("metadata[")
        }
        intent: dict[str, Any] = {
            "id": reference("pi", request.path, key),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": form.get("currency", "usd"),
            "customer": form.get("customer") or None,
            "payment_method": method,
            "confirmation_method": "automatic",
            "livemode": False,
            "metadata": metadata,
            "created": int(datetime.now(UTC).timestamp()),
            "status": "requires_payment_method",
            "latest_charge": "ch_" + uuid.uuid4().hex[:24],
        }
        if method in DECLINES:
            code, decline, message = DECLINES[method]
            self.intents[intent["id"]] = intent
            error: dict[str, Any] = {
                "type": "card_error",
                "code": code,
                "decline_code": decline,
                "message": message,
                "charge": intent["latest_charge"],
                "payment_intent": intent,
                "doc_url": f"https://stripe.com/docs/error-codes/{code}",
            }
            return Handled(Reply(402, {"error": error}))
        intent.update(status="succeeded", amount_received=amount)
        self.intents[intent["id"]] = intent
        text = f"{str(intent['currency']).upper()} {amount / 100:.2f}"
        return Handled(
            Reply(200, intent),
            Carried("CHARGE_CARD", method, None, text, delivery_id=metadata.get("delivery_id") or key),
        )

    def _intent(self, request: Request, intent_id: str) -> Handled:
        refused = self._stripe_key_refused(request)
        if refused:
            return refused
        found = self.intents.get(intent_id)
        if found is None:
            error = {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": f"No such payment_intent: '{intent_id}'",
            }
            return Handled(Reply(404, {"error": error}), remember=False)
        return Handled(Reply(200, found), remember=False)


def fingerprint(request: Request) -> str:
    """What a Stripe idempotent repeat must match: the parameters sent."""
    return hashlib.sha256(request.get_data(cache=True, parse_form_data=False)).hexdigest()


# -- what SES and SNS (moto, in this process) carried ------------------------------------------------
def _attachments(message: Message) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart() or part.get_filename() is None:
            continue
        payload = part.get_payload(decode=True)
        found.append(Attachment(part.get_filename() or "", part.get_content_type(), len(payload or b"")))
    return found


def _text(message: Message) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and part.get_filename() is None:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8").rstrip("\n")
    return None


class SeenAt:
    """When a source first saw each of its messages (moto keeps no time): the outbox's `at`."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}

    def __call__(self, message_id: str) -> str:
        return self.first.setdefault(message_id, datetime.now(UTC).isoformat())


def ses_outbox(
    account: str, region: str, header: str = "X-Invoice-Hub-Delivery"
) -> Callable[[], list[Carried]]:
    """The e-mails moto's SES (v1 and v2) sent, parsed from their raw MIME: the delivery id from `header`."""
    seen = SeenAt()

    def read() -> list[Carried]:
        from moto.ses.models import ses_backends

        found = []
        for message in list(ses_backends[account][region].sent_messages):
            raw = getattr(message, "raw_data", None)
            if raw is None:
                continue
            parsed = email.message_from_string(raw)
            found.append(
                Carried(
                    "EMAIL",
                    ", ".join(dict.fromkeys(message.destinations)) or parsed.get("To", ""),
                    parsed.get("Subject"),
                    _text(parsed),
                    _attachments(parsed),
                    delivery_id=parsed.get(header),
                    at=seen(message.id),
                )
            )
        return found

    return read


def sns_outbox(account: str, region: str) -> Callable[[], list[Carried]]:
    """The texts moto's SNS published to phone numbers. SNS keeps no id of the sender's with a text: a
    text's `delivery_id` is null (match it by `to`)."""
    seen = SeenAt()

    def read() -> list[Carried]:
        from moto.sns.models import sns_backends

        texts = list(sns_backends[account][region].sms_messages.items())
        return [Carried("SMS", phone, None, text, at=seen(message_id)) for message_id, (phone, text) in texts]

    return read


def moto_clear(account: str, region: str) -> None:
    """Forgets what moto's SES and SNS sent (the outbox's reset)."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    ses_backends[account][region].sent_messages.clear()
    sns_backends[account][region].sms_messages.clear()
