"""POST /webhooks/print-mail — the print-and-mail provider's letter events (mailed, in transit,
delivered, returned to sender), verified by `Lob-Signature` and applied to the letter's send once."""

from typing import Any

from invoice_hub.connectors import provider_events
from invoice_hub.contracts import webhooks
from invoice_hub.contracts.http import Response, header
from invoice_hub.entry import wiring

app = webhooks.resolver()


@app.post(
    "/webhooks/print-mail",
    summary="Print-and-mail provider webhook",
    description=(
        "Letter events in Lob's shape, signed `Lob-Signature` (hex HMAC-SHA256 of "
        '"<Lob-Signature-Timestamp>.<body>" with the endpoint\'s secret, at most five minutes old). '
        "`letter.returned_to_sender` ends the MAIL method: a rule moves on at once."
    ),
    tags=[webhooks.TAG],
    responses=webhooks.RESPONSES,
)
def print_mail_webhook() -> Response[Any]:
    def verify() -> dict[str, Any]:
        raw = app.current_event.raw_event
        signature, timestamp = header(raw, "Lob-Signature"), header(raw, "Lob-Signature-Timestamp")
        secret = wiring.provider_webhook_secret("print-mail")
        return provider_events.verified_letter_event(webhooks.payload_of(app), signature, timestamp, secret)

    return webhooks.receive("print-mail", verify, webhooks.channel_event(provider_events.read_letter_event))


lambda_handler = webhooks.entry_point(app)
