"""POST /webhooks/stripe — Stripe's events (payments, refunds, declines), verified by their signature and
recorded once each (invoice_hub.logic.payments); answered as invoice_hub.contracts.webhooks says."""

from datetime import UTC, datetime
from typing import Any

from invoice_hub.connectors import stripe_events
from invoice_hub.contracts import webhooks
from invoice_hub.contracts.http import Response, header
from invoice_hub.entry import wiring
from invoice_hub.logic.payments import record_stripe

app = webhooks.resolver()


@app.post(
    "/webhooks/stripe",
    summary="Stripe webhook",
    description=(
        "Stripe's events, signed with the endpoint's secret (`Stripe-Signature`, checked as the Stripe SDK "
        "checks it, "
        "at most five minutes old): `payment_intent.succeeded` and a paid `checkout.session.completed` "
        "record a payment on the practice's invoices (once per PaymentIntent), `charge.refunded` takes the "
        "refund back from them, `payment_intent.payment_failed` enters the decline in the send's history."
    ),
    tags=[webhooks.TAG],
    responses=webhooks.RESPONSES,
)
def stripe_webhook() -> Response[Any]:
    def verify() -> dict[str, Any]:
        signature = header(app.current_event.raw_event, "Stripe-Signature")
        return stripe_events.verified(webhooks.payload_of(app), signature, wiring.stripe_webhook_secret())

    def record(event: dict[str, Any]) -> bool:
        told = stripe_events.read(event)
        now = datetime.now(UTC)
        return told is not None and record_stripe(told, wiring.payments(), wiring.feedback(), now)

    return webhooks.receive("stripe", verify, record)


lambda_handler = webhooks.entry_point(app)
