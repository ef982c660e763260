"""The channels' HTTP providers as the fake external server plays them, and what each carried (the outbox).

- Voice calls (our generic provider API, Twilio-like): `POST /voice/v1/calls` JSON `{"to": <E.164>,
  "message", "from": optional E.164}` with `Authorization: Bearer <key>`; `201 {"id": "call_<24 hex>",
  "status": "completed" | "no-answer", "to", "duration_seconds"}` (a number ending in 0199 is placed but
  not answered: still 201); a `to` or `from` that is not E.164 is `400 {"error": "invalid_number"}`, no
  message `400 invalid_message`, no key `401`. `GET /voice/v1/calls/<id>` reads one.
- Letters (Lob's letters API shape): `POST /print-mail/v1/letters` multipart/form-data with `to_name`,
  `to_address_line1` (required), `to_address_line2`, `to_address_city`, `to_address_state`,
  `to_address_zip`, `to_address_country`, `description` and the PDF as the file part `file`; `200 {"id":
  "ltr_<24 hex>", "expected_delivery_date": <today + 5 days>, "status": "created"}`; a file that does not
  start `%PDF-` is `422 {"error": "invalid_file"}`, no line1 `422 {"error": "invalid_address"}`.
- Stripe's PaymentIntents, as the official SDK calls them (form-encoded with bracket notation,
  `Authorization: Bearer sk_test_...`): `POST /v1/payment_intents` (amount, currency, payment_method,
  confirm, off_session, customer, description, metadata[...]) and `GET /v1/payment_intents/<id>`. Stripe's
  test payment methods decide the outcome (`DECLINES`): each decline is Stripe's `402` card error with
  `code`, `decline_code`, `message`, `charge` and the PaymentIntent (`requires_payment_method`, with its
  `last_payment_error`); any other `pm_...` succeeds (`200`, `succeeded`, `latest_charge`); a payment
  method that is not `pm_...` is `400 resource_missing`; a key not starting `sk_test_` is `401`. Every
  answer has a `Request-Id`.

Each honours `Idempotency-Key` per path and API key, as its real kind does: a repeat is the first answer
again, never a second call, letter or charge, and is recorded as a duplicate. Stripe's rules are Stripe's
(docs.stripe.com/api/idempotent_requests): declines are saved and replayed like successes, a replay
carries `Idempotent-Replayed: true`, the same key with other parameters is `400 idempotency_error`, and
a request that failed validation (or met an outage) saves nothing. The server's outage modes apply to
them all, Stripe's as Stripe's JSON errors (`api_error` for 503 and 504; `429` is Stripe's rate limit,
`invalid_request_error` with code `rate_limit`, as Stripe's error types are only api_error, card_error,
idempotency_error and invalid_request_error).

The outbox: each call, letter, charge and text (fake_sms) carried is a `Carried`; e-mails are read from
moto's SES in this process by `ses_outbox` (an outbox source of the fake server).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from werkzeug.formparser import FormDataParser
from werkzeug.wrappers import Request

from invoice_hub_local.fake_events import CallWebhooks, LetterWebhooks, StripeWebhooks

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
VOICE, LETTERS, STRIPE = "/voice/", "/print-mail/", "/v1/"
PROVIDER_PREFIXES = (VOICE, LETTERS, STRIPE)
UNANSWERED_SUFFIX = "0199"
DELIVERY_DAYS = 5
DELIVERY_HEADER = "X-Invoice-Hub-Delivery"  # the e-mail connector's header naming the delivery
_DECLINED = "Your card was declined."
#: Stripe's test payment methods that decline (docs.stripe.com/testing#declined-payments), each with the
#: error's code, decline code and message for the customer; `pm_card_visa_...` names and the shorter
#: `pm_card_...` ones are both Stripe's
_DECLINE_TABLE: tuple[tuple[tuple[str, ...], tuple[str, str, str]], ...] = (
    (
        ("pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"),
        ("card_declined", "generic_decline", _DECLINED),
    ),
    (
        ("pm_card_chargeDeclinedInsufficientFunds", "pm_card_visa_chargeDeclinedInsufficientFunds"),
        ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ),
    (
        ("pm_card_chargeDeclinedLostCard", "pm_card_visa_chargeDeclinedLostCard"),
        ("card_declined", "lost_card", _DECLINED),
    ),
    (
        ("pm_card_chargeDeclinedStolenCard", "pm_card_visa_chargeDeclinedStolenCard"),
        ("card_declined", "stolen_card", _DECLINED),
    ),
    (("pm_card_chargeDeclinedFraudulent",), ("card_declined", "fraudulent", _DECLINED)),
    (
        ("pm_card_visa_chargeDeclinedVelocityLimitExceeded",),
        (
            "card_declined",
            "card_velocity_exceeded",
            "Your card was declined for making repeated attempts too frequently or exceeding its amount "
            "limit.",
        ),
    ),
    (("pm_card_chargeDeclinedExpiredCard",), ("expired_card", "expired_card", "Your card has expired.")),
    (
        ("pm_card_chargeDeclinedIncorrectCvc",),
        ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    ),
    (
        ("pm_card_chargeDeclinedProcessingError",),
        (
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ),
    # off_session, a card that always asks for 3-D Secure cannot be charged: Stripe answers
    # authentication_required and leaves the PaymentIntent requires_payment_method
    (
        ("pm_card_authenticationRequired", "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds"),
        (
            "authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        ),
    ),
)
DECLINES: dict[str, tuple[str, str, str]] = {
    name: outcome for names, outcome in _DECLINE_TABLE for name in names
}
#: currencies whose amounts Stripe takes in whole units (docs.stripe.com/currencies#zero-decimal)
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
IDEMPOTENCY_MISMATCH = (
    "Keys for idempotent requests can only be used with the same parameters they were first used with. "
    "Try using a key other than '{key}' if you meant to execute a different request."
)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _hex_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Carried:
    """One message a channel carried to a patient, as `/_outbox` lists it. `reference` is the provider's
    id for it (the call, letter, PaymentIntent, SES or End User Messaging message id): what the sender was
    answered."""

    channel: str
    to: str
    subject: str | None
    text: str | None
    attachments: list[Attachment] = field(default_factory=list)
    delivery_id: str | None = None
    at: str = field(default_factory=_now)
    reference: str | None = None

    def listed(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Incoming:
    """One request to a provider, read whole before the server takes its lock."""

    method: str
    path: str
    authorization: str
    key: str | None
    raw: bytes
    json: Any = None
    malformed: bool = False
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    @classmethod
    def read(cls, request: Request) -> Incoming:
        raw = request.get_data(cache=True)
        parsed: dict[str, Any] = {}
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            _, form, files = FormDataParser().parse(
                io.BytesIO(raw), request.mimetype, len(raw), dict(request.mimetype_params)
            )
            parsed["form"] = {name: form.getlist(name) for name in form}
            parsed["files"] = {}
            for name, upload in files.items():
                try:  # a part is spooled to a temporary file: read it whole, then close it
                    data = upload.read()
                finally:
                    upload.close()
                parsed["files"][name] = Upload(
                    upload.filename or "", upload.mimetype or "application/octet-stream", data
                )
        elif raw:
            try:
                parsed["json"] = json.loads(raw)
            except ValueError:
                parsed["malformed"] = True
        return cls(
            method=request.method,
            path=request.path,
            authorization=request.headers.get("Authorization") or "",
            key=request.headers.get("Idempotency-Key") or None,
            raw=raw,
            **parsed,
        )

    @property
    def credential(self) -> str:
        """The API key (a bearer token, or the user of Basic auth as Lob takes it)."""
        scheme, _, value = self.authorization.partition(" ")
        return value.strip() if scheme.lower() in ("bearer", "basic") else ""

    def field(self, name: str) -> str:
        values = self.form.get(name)
        return values[0] if values else ""

    def parameters(self) -> str:
        """What a repeat under the same key must match (Stripe compares the parameters, not the bytes)."""
        if self.form or self.files:
            files = {
                n: (u.filename, u.content_type, hashlib.sha256(u.data).hexdigest())
                for n, u in self.files.items()
            }
            return json.dumps([sorted(self.form.items()), sorted(files.items())])
        if self.json is not None:
            return json.dumps(self.json, sort_keys=True)
        return hashlib.sha256(self.raw).hexdigest()

    def listed_body(self) -> Any:
        """The body as `/_received` lists it: JSON as sent, form fields, each file by name, type and size."""
        if self.form or self.files:
            fields: dict[str, Any] = {n: v[0] if len(v) == 1 else v for n, v in self.form.items()}
            for name, upload in self.files.items():
                fields[name] = {
                    "filename": upload.filename,
                    "content_type": upload.content_type,
                    "size": len(upload.data),
                }
            return fields
        if self.malformed:
            return self.raw.decode("utf-8", "replace")
        return self.json


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()

    def with_headers(self, *headers: tuple[str, str]) -> Reply:
        return replace(self, headers=self.headers + headers)


@dataclass(frozen=True)
class Handled:
    """A provider's answer and, when it carried something, what."""

    reply: Reply
    carried: Carried | None = None
    #: whether a repeat of its key gets this answer again: the result of a request that ran (Stripe keeps
    #: declines too), never of one refused before it ran (no key, an invalid parameter)
    remember: bool = True


@dataclass(frozen=True)
class Remembered:
    parameters: str
    reply: Reply


def is_provider(path: str) -> bool:
    return path.startswith(PROVIDER_PREFIXES)


def is_stripe(path: str) -> bool:
    return path.startswith(STRIPE)


def _stripe_error(status: int, kind: str, message: str, **detail: Any) -> Reply:
    return Reply(status, {"error": {"type": kind, "message": message, **detail}})


def outage_reply(path: str, mode: str) -> Reply:
    """An outage as the provider on `path` answers it (Stripe's errors are JSON with Stripe's types)."""
    status = {"fail": 503, "reject": 400, "throttle": 429}.get(mode, 504)
    headers = (("Retry-After", "1"),) if mode == "throttle" else ()
    if is_stripe(path):
        if mode == "throttle":
            reply = _stripe_error(
                429,
                "invalid_request_error",
                "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            )
        elif mode == "reject":
            reply = _stripe_error(
                400, "invalid_request_error", "The fake Stripe refuses this request (reject)."
            )
        else:
            reply = _stripe_error(status, "api_error", f"The fake Stripe is unavailable ({mode}).")
        return reply.with_headers(*headers)
    return Reply(status, {"error": mode, "message": f"the provider is unavailable ({mode})"}, headers)


def one_line(fields: Incoming) -> str:
    """A postal address on one line: "line1, line2, city, STATE zip, country", empty parts left out, and
    the country too when it is the US (a domestic letter does not print it)."""
    state_zip = " ".join(p for p in (fields.field("to_address_state"), fields.field("to_address_zip")) if p)
    country = fields.field("to_address_country")
    parts = (
        fields.field("to_address_line1"),
        fields.field("to_address_line2"),
        fields.field("to_address_city"),
        state_zip,
        "" if country.upper() in ("US", "USA") else country,
    )
    return ", ".join(p.strip() for p in parts if p.strip())


def money(amount: int, currency: str) -> str:
    """ "USD 12.50" (Stripe's amounts are in the currency's smallest unit)."""
    if currency.lower() in ZERO_DECIMAL:
        return f"{currency.upper()} {amount}"
    return f"{currency.upper()} {amount / 100:.2f}"


#: a letter to this ZIP code is returned to sender (the fake's reserved test value)
RETURNED_ZIP = "00000"


class Providers:
    """The providers' state: their calls and payment intents by id (the server holds its lock around every
    call, so nothing here locks)."""

    def __init__(
        self,
        stripe_events: StripeWebhooks | None = None,
        call_events: CallWebhooks | None = None,
        letter_events: LetterWebhooks | None = None,
    ) -> None:
        self.calls: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunded: dict[str, int] = {}  # PaymentIntent id -> cents refunded so far
        self.stripe_events = stripe_events or StripeWebhooks()
        self.call_events = call_events or CallWebhooks()
        self.letter_events = letter_events or LetterWebhooks()

    def reset(self) -> None:
        self.calls.clear()
        self.intents.clear()
        self.refunded.clear()

    # -- what a person does on Stripe's side (control paths) ----------------------------------------
    def checkout(self, tenant_id: str, invoice_id: str, amount: int) -> dict[str, Any]:
        """A patient pays through the payment link's hosted checkout: `checkout.session.completed`."""
        intent_id = _hex_id("pi")
        self.intents[intent_id] = {"id": intent_id, "object": "payment_intent", "amount": amount}
        session = {
            "id": f"cs_test_{uuid.uuid4().hex[:24]}",
            "object": "checkout.session",
            "amount_total": amount,
            "client_reference_id": f"{tenant_id}_{invoice_id}",
            "currency": "usd",
            "metadata": {},
            "mode": "payment",
            "payment_intent": intent_id,
            "payment_status": "paid",
            "status": "complete",
        }
        return self.stripe_events.emit("checkout.session.completed", session)

    def refund(self, intent_id: str, amount: int) -> dict[str, Any] | None:
        """A refund of part or all of a payment: `charge.refunded` with the total refunded so far."""
        intent = self.intents.get(intent_id)
        if intent is None:
            return None
        total = min(int(intent.get("amount", 0)), self.refunded.get(intent_id, 0) + amount)
        self.refunded[intent_id] = total
        charge = {
            "id": intent.get("latest_charge") or _hex_id("ch"),
            "object": "charge",
            "amount": intent.get("amount"),
            "amount_refunded": total,
            "payment_intent": intent_id,
            "refunded": total >= int(intent.get("amount", 0)),
            "metadata": intent.get("metadata", {}),
        }
        return self.stripe_events.emit("charge.refunded", charge)

    def handle(self, incoming: Incoming) -> Handled:
        path, method = incoming.path, incoming.method
        if path == "/voice/v1/calls" and method == "POST":
            return self._call(incoming)
        if path.startswith("/voice/v1/calls/") and method == "GET":
            return self._read_call(incoming, path.rsplit("/", 1)[1])
        if path == "/print-mail/v1/letters" and method == "POST":
            return self._letter(incoming)
        if path == "/v1/payment_intents" and method == "POST":
            return self._charge(incoming)
        if path.startswith("/v1/payment_intents/") and method == "GET":
            return self._intent(incoming, path.rsplit("/", 1)[1])
        if is_stripe(path):
            return Handled(
                self._stripe(
                    _stripe_error(
                        404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})."
                    )
                ),
                remember=False,
            )
        return Handled(Reply(404, {"error": "not_found", "message": f"no {method} {path}"}), remember=False)

    def replay(self, incoming: Incoming, first: Remembered) -> tuple[Reply, bool]:
        """The answer to a repeated key, and whether it is a replay (False: Stripe's idempotency error)."""
        if not is_stripe(incoming.path):
            return first.reply, True
        if first.parameters != incoming.parameters():
            message = IDEMPOTENCY_MISMATCH.format(key=incoming.key)
            return self._stripe(_stripe_error(400, "idempotency_error", message)), False
        return self._stripe(first.reply).with_headers(("Idempotent-Replayed", "true")), True

    # -- voice ---------------------------------------------------------------------------------------
    @staticmethod
    def _unauthorized(incoming: Incoming) -> Handled | None:
        if incoming.credential:
            return None
        reply = Reply(401, {"error": "unauthorized", "message": "an API key is required"})
        return Handled(reply, remember=False)

    def _call(self, incoming: Incoming) -> Handled:
        refused = self._unauthorized(incoming)
        if refused:
            return refused
        body = incoming.json if isinstance(incoming.json, dict) else None
        if body is None:
            return Handled(
                Reply(400, {"error": "malformed_json", "message": "the body must be a JSON object"}),
                remember=False,
            )
        to, message, caller = body.get("to"), body.get("message"), body.get("from")
        for name, number in (("to", to), ("from", caller)):
            if (name == "to" or number is not None) and (
                not isinstance(number, str) or not E164.match(number)
            ):
                reply = Reply(400, {"error": "invalid_number", "message": f"{name} must be an E.164 number"})
                return Handled(reply, remember=False)
        if not isinstance(message, str) or not message.strip():
            reply = Reply(400, {"error": "invalid_message", "message": "message must be a non-empty string"})
            return Handled(reply, remember=False)
        assert isinstance(to, str)
        answered = not to.endswith(UNANSWERED_SUFFIX)
        call: dict[str, Any] = {
            "id": _hex_id("call"),
            "status": "completed" if answered else "no-answer",
            "to": to,
            "duration_seconds": max(3, round(len(message.split()) / 2.5)) if answered else 0,
        }
        if caller is not None:
            call["from"] = caller
        if isinstance(body.get("metadata"), dict):
            call["metadata"] = body["metadata"]
        self.calls[call["id"]] = call
        self.call_events.emit("call.completed" if answered else "call.no_answer", call)
        carried = Carried("CALL", to, None, message, delivery_id=incoming.key, reference=call["id"])
        return Handled(Reply(201, call), carried)

    def _read_call(self, incoming: Incoming, call_id: str) -> Handled:
        refused = self._unauthorized(incoming)
        if refused:
            return refused
        found = self.calls.get(call_id)
        reply = Reply(200, found) if found else Reply(404, {"error": "not_found", "message": "no such call"})
        return Handled(reply, remember=False)

    # -- letters -------------------------------------------------------------------------------------
    def _letter(self, incoming: Incoming) -> Handled:
        refused = self._unauthorized(incoming)
        if refused:
            return refused
        upload = incoming.files.get("file")
        if upload is None or not upload.data.startswith(b"%PDF-"):
            reply = Reply(422, {"error": "invalid_file", "message": "file must be a PDF (starting %PDF-)"})
            return Handled(reply, remember=False)
        if not incoming.field("to_address_line1").strip():
            reply = Reply(422, {"error": "invalid_address", "message": "to_address_line1 is required"})
            return Handled(reply, remember=False)
        metadata = {
            name[len("metadata[") : -1]: values[0]
            for name, values in incoming.form.items()
            if name.startswith("metadata[") and name.endswith("]")
        }
        letter: dict[str, Any] = {
            "id": _hex_id("ltr"),
            "expected_delivery_date": (datetime.now(UTC).date() + timedelta(days=DELIVERY_DAYS)).isoformat(),
            "status": "created",
            "metadata": metadata,
        }
        # the post's progress, as the provider reports it; the reserved ZIP code 00000 comes back
        returned = incoming.field("to_address_zip").strip() == RETURNED_ZIP
        for kind in ("letter.mailed", "letter.in_transit"):
            self.letter_events.emit(kind, letter)
        self.letter_events.emit("letter.returned_to_sender" if returned else "letter.delivered", letter)
        carried = Carried(
            "MAIL",
            one_line(incoming),
            None,
            incoming.field("description") or None,
            [Attachment(upload.filename or "letter.pdf", upload.content_type, len(upload.data))],
            delivery_id=incoming.key,
            reference=letter["id"],
        )
        return Handled(Reply(200, letter), carried)

    # -- Stripe --------------------------------------------------------------------------------------
    @staticmethod
    def _stripe(reply: Reply) -> Reply:
        return reply.with_headers(("Request-Id", _hex_id("req")))

    def _stripe_key_refused(self, incoming: Incoming) -> Handled | None:
        secret = incoming.credential
        if secret.startswith("sk_test_"):
            return None
        if not secret:
            message = "You did not provide an API key. Provide your API key in the Authorization header."
        else:
            message = f"Invalid API Key provided: {secret[:8]}{'*' * 4}{secret[-4:]}"
        return Handled(self._stripe(_stripe_error(401, "invalid_request_error", message)), remember=False)

    def _invalid(self, message: str, code: str, param: str) -> Handled:
        reply = _stripe_error(400, "invalid_request_error", message, code=code, param=param)
        return Handled(self._stripe(reply), remember=False)

    def _charge(self, incoming: Incoming) -> Handled:
        refused = self._stripe_key_refused(incoming)
        if refused:
            return refused
        amount_given, currency = incoming.field("amount"), incoming.field("currency").lower()
        if not amount_given:
            return self._invalid("Missing required param: amount.", "parameter_missing", "amount")
        if not amount_given.isdigit() or int(amount_given) < 1:
            return self._invalid("Invalid positive integer", "parameter_invalid_integer", "amount")
        if not currency:
            return self._invalid("Missing required param: currency.", "parameter_missing", "currency")
        amount = int(amount_given)
        method = incoming.field("payment_method")
        confirm = incoming.field("confirm") == "true"
        if method and not method.startswith("pm_"):
            return self._invalid(f"No such PaymentMethod: '{method}'", "resource_missing", "payment_method")
        if confirm and not method:
            return self._invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                "payment_intent_unexpected_state",
                "payment_method",
            )
        metadata = {
            name[len("metadata[") : -1]: values[0]
            for name, values in incoming.form.items()
            if name.startswith("metadata[") and name.endswith("]")
        }
        intent_id = _hex_id("pi")
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "capture_method": "automatic_async",
            "client_secret": f"{intent_id}_secret_{uuid.uuid4().hex[:24]}",
            "confirmation_method": "automatic",
            "created": int(datetime.now(UTC).timestamp()),
            "currency": currency,
            "customer": incoming.field("customer") or None,
            "description": incoming.field("description") or None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "payment_method": method or None,
            "payment_method_types": ["card"],
            "status": "requires_confirmation" if method else "requires_payment_method",
        }
        if not confirm:
            self.intents[intent_id] = intent
            return Handled(self._stripe(Reply(200, intent)))
        charge = _hex_id("ch")
        intent["latest_charge"] = charge
        if method in DECLINES:
            code, decline, message = DECLINES[method]
            error: dict[str, Any] = {
                "type": "card_error",
                "code": code,
                "decline_code": decline,
                "message": message,
                "charge": charge,
                "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            }
            if code in ("expired_card", "incorrect_cvc"):
                error["param"] = "exp_month" if code == "expired_card" else "cvc"
            intent.update(
                status="requires_payment_method",
                last_payment_error={**error, "payment_method": {"id": method}},
            )
            self.intents[intent_id] = intent
            self.stripe_events.emit("payment_intent.payment_failed", intent)
            return Handled(self._stripe(Reply(402, {"error": {**error, "payment_intent": intent}})))
        intent.update(status="succeeded", amount_received=amount)
        self.intents[intent_id] = intent
        self.stripe_events.emit("payment_intent.succeeded", intent)
        carried = Carried(
            "CHARGE_CARD",
            method,
            None,
            money(amount, currency),
            delivery_id=metadata.get("delivery_id") or incoming.key,
            reference=intent_id,
        )
        return Handled(self._stripe(Reply(200, intent)), carried)

    def _intent(self, incoming: Incoming, intent_id: str) -> Handled:
        refused = self._stripe_key_refused(incoming)
        if refused:
            return refused
        found = self.intents.get(intent_id)
        if found is None:
            reply = _stripe_error(
                404,
                "invalid_request_error",
                f"No such payment_intent: '{intent_id}'",
                code="resource_missing",
                param="intent",
            )
            return Handled(self._stripe(reply), remember=False)
        return Handled(self._stripe(Reply(200, found)), remember=False)


# -- what SES (moto, in this process) carried ------------------------------------------------------------
#
# moto keeps what it sent in its backend (the documented way to check a send in moto, an internal API that
# may change between versions; this was written against moto 5.2.5) and keeps no time with it. The source
# below gives the backend's list (SES's `sent_messages`) a clock that notes when each entry was added, so
# the outbox orders e-mails with the calls, letters, texts and charges. A message sent before the source
# first looked (or into a backend moto re-created since) is dated when the source first sees it.


class _StampedList(list[Any]):
    def __init__(self, items: Iterable[Any]) -> None:
        super().__init__(items)
        self.added: dict[int, str] = {}

    def append(self, item: Any) -> None:
        self.added[id(item)] = _now()
        super().append(item)

    def clear(self) -> None:
        self.added.clear()
        super().clear()


class _FirstSeen:
    def __init__(self) -> None:
        self.first: dict[Any, str] = {}

    def __call__(self, stamped: dict[Any, str], key: Any) -> str:
        return stamped.get(key) or self.first.setdefault(key, _now())


def _ses_backend(account: str, region: str) -> Any:
    from moto.ses.models import ses_backends

    backend = ses_backends[account][region]
    if not isinstance(backend.sent_messages, _StampedList):
        backend.sent_messages = _StampedList(backend.sent_messages)
    return backend


def _addresses(values: Iterable[str]) -> str:
    """Bare e-mail addresses, each once, in order ("a@x, b@y")."""
    return ", ".join(dict.fromkeys(address for _, address in getaddresses(list(values)) if address))


def parse_mime(raw: str) -> tuple[str | None, str | None, list[Attachment], str | None, str]:
    """(subject, the text/plain body, attachments, the delivery header, the To header) of a raw e-mail."""
    # moto keeps the message as text (its bytes decoded as UTF-8): parsed as those bytes again, an 8bit
    # UTF-8 body reads back as sent
    message = email.message_from_bytes(raw.encode("utf-8", "surrogateescape"), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    text = None
    if isinstance(body, EmailMessage):
        text = str(body.get_content()).removesuffix("\n")
    attachments = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        attachments.append(
            Attachment(part.get_filename() or "", part.get_content_type(), len(payload or b""))
        )
    subject = message.get("Subject")
    delivery = message.get(DELIVERY_HEADER)
    return (
        str(subject) if subject is not None else None,
        text,
        attachments,
        str(delivery).strip() if delivery is not None else None,
        str(message.get("To") or ""),
    )


def ses_outbox(
    account: str = "123456789012", region: str = "us-east-1", header: str = DELIVERY_HEADER
) -> Callable[[], list[Carried]]:
    """The e-mails moto's SES (v1 and v2: `SendEmail` with `Content.Raw` or `Content.Simple`) sent, in
    `account` and `region`. A raw message is parsed as MIME: To, Subject, the text/plain body, each
    attachment's filename, type and size; its delivery id is the `header` it carries (the e-mail connector
    sets it; SES delivers it with the message). moto does not keep SES v2's EmailTags, so a message without
    the header (any simple one) has none. `reference` is SES's MessageId."""
    seen = _FirstSeen()
    _ses_backend(account, region)  # stamp from now on
    # a message as parsed, by id (with the message, whose id is only its own while it lives): each read
    # is of every message sent, and parsing them all again made reads grow with the session
    parsed: dict[int, tuple[Any, tuple[str | None, str | None, list[Attachment], str | None, str]]] = {}

    def read() -> list[Carried]:
        from moto.ses.models import Message, RawMessage

        messages = _ses_backend(account, region).sent_messages
        found = []
        for message in list(messages):
            at = seen(messages.added, id(message))
            if isinstance(message, RawMessage):
                known = parsed.get(id(message))
                if known is None or known[0] is not message:
                    known = parsed[id(message)] = (message, parse_mime(message.raw_data))
                subject, text, attachments, delivery, to_header = known[1]
                attachments = list(attachments)
                to = _addresses(message.destinations) or _addresses([to_header])
                found.append(Carried("EMAIL", to, subject, text, attachments, delivery, at, message.id))
            elif isinstance(message, Message):
                destinations = message.destinations
                to = _addresses(
                    destinations.get("ToAddresses", []) if isinstance(destinations, dict) else destinations
                )
                found.append(Carried("EMAIL", to, message.subject, message.body, [], None, at, message.id))
        return found

    return read


def moto_clear(account: str = "123456789012", region: str = "us-east-1") -> None:
    """Forgets what moto's SES sent (the outbox's part of `/_reset`)."""
    _ses_backend(account, region).sent_messages.clear()
