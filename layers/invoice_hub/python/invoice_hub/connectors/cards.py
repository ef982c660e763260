"""CHARGE_CARD: a charge of the patient's card on file through Stripe's PaymentIntents API, with the
official `stripe` SDK: created confirmed and `off_session` (the patient is not there to authenticate),
the delivery id as Stripe's idempotency key, so a repeated send is Stripe's replay of the first answer,
never a second charge.

Stripe's decline codes decide retryable or permanent (docs.stripe.com/declines/codes): the codes whose
next step is "attempt the payment again" (`try_again_later`, `processing_error`, `issuer_not_available`,
`reenter_transaction`, `approve_with_id`) are retried; every other decline (`insufficient_funds`,
`expired_card`, `authentication_required`, ...) is permanent, its reason Stripe's: the decline code and
Stripe's message for the patient. The SDK's own retries are off: the queue's back-off retries.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from invoice_hub.connectors.base import Parcel, SendResult, Unasked
from invoice_hub.domain.delivery import Delivery

if TYPE_CHECKING:
    import stripe

#: declines whose next step, by Stripe, is to attempt the payment again
RETRYABLE_DECLINES = frozenset(
    {"try_again_later", "processing_error", "issuer_not_available", "reenter_transaction", "approve_with_id"}
)


@lru_cache(maxsize=8)
def stripe_client(api_key: str, api_base: str | None, timeout_seconds: float) -> stripe.StripeClient:
    import stripe  # imported on the first card charge only: the other sends never load the SDK

    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=0,
        http_client=stripe.HTTPXClient(timeout=timeout_seconds, allow_sync_methods=True),
    )


def declined(error: Any) -> SendResult:
    """A CardError's result: Stripe's decline code and message are the reason."""
    code = getattr(error.error, "decline_code", None) or error.code or "card_declined"
    message = error.user_message or "the card was declined"
    return SendResult(
        ok=False,
        permanent=code not in RETRYABLE_DECLINES,
        reason=f"card declined: {code}: {message}",
        channel_status=code,
    )


class CardConnector(Unasked):  # the idempotency key replays the first answer
    idempotent = True

    def __init__(
        self, credential_parameter: str | None, api_base: str | None, timeout_seconds: float
    ) -> None:
        self.credential_parameter = credential_parameter
        self.api_base = api_base
        self.timeout_seconds = timeout_seconds

    def credential_name(self, delivery: Delivery) -> str | None:
        return self.credential_parameter

    def send(self, parcel: Parcel) -> SendResult:
        import stripe

        if not parcel.credential:
            return SendResult(ok=False, permanent=True, reason="no Stripe key is configured")
        delivery = parcel.delivery
        client = stripe_client(parcel.credential, self.api_base, self.timeout_seconds)
        params: dict[str, Any] = {
            "amount": delivery.amount_cents,
            "currency": parcel.currency,
            "payment_method": parcel.to,
            "confirm": True,
            "off_session": True,
            "metadata": {
                "delivery_id": str(delivery.id),
                "tenant_id": str(delivery.tenant_id),
                "invoice_id": str(delivery.invoice_id or ""),
            },
        }
        try:
            intent = client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": str(delivery.id)},
            )
        except stripe.CardError as error:
            return declined(error)
        except (stripe.RateLimitError, stripe.APIConnectionError) as error:
            return SendResult(ok=False, reason=f"Stripe unavailable: {type(error).__name__}")
        except stripe.APIError as error:
            if (error.http_status or 500) >= 500:
                return SendResult(ok=False, reason=f"Stripe unavailable: {error.http_status}")
            return SendResult(
                ok=False, permanent=True, reason=f"Stripe refused: {error.code or error.http_status}"
            )
        except stripe.StripeError as error:  # authentication, invalid request, idempotency: refused
            return SendResult(
                ok=False, permanent=True, reason=f"Stripe refused: {error.code or type(error).__name__}"
            )
        if intent.status not in ("succeeded", "processing"):
            return SendResult(
                ok=False,
                permanent=True,
                reason=f"card not charged: {intent.status}",
                channel_status=intent.status,
            )
        return SendResult(ok=True, external_reference=intent.id, channel_status=intent.status)
