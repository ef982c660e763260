"""Practices' webhooks (WEBHOOK): a POST of the event's stored body, signed twice.

- `Decoda-Signature`: the hex HMAC-SHA256 of the exact body, keyed with the webhook's secret as text
  (docs.decodahealth.com/webhooks). It has no timestamp: a captured event verifies forever.
- The Standard Webhooks headers (standardwebhooks.com): `webhook-id` (the event's id, the same on every
  retry and resend), `webhook-timestamp` (when this attempt was signed) and `webhook-signature`
  (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the secret read as base64), so a
  receiver can refuse a replay older than its tolerance.

A webhook's URL is a place the practice chose, so every send first checks where it leads (server-side
request forgery): https only, and every address its host resolves to public (no private, loopback,
link-local, multicast or reserved address, IPv4-mapped IPv6 included). The connection then goes to the
address that was checked (the host name kept for the `Host` header, TLS's SNI and the certificate
check), so a DNS answer that changes between check and connect (rebinding) reaches nothing else. The
local stack allows plain http to loopback, so that tests can receive.

Any answer but a 2xx is retried (receivers answer 500 while they deploy); a refused address is not.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from invoice_hub.connectors.base import Parcel, SendResult, Unasked
from invoice_hub.domain.delivery import WebhookEvent

if TYPE_CHECKING:
    import httpx

# httpx and standardwebhooks are imported where they are used: the Decoda functions that only read or
# delete webhooks import this module (through logic/webhooks.py, for the URL check) and never send

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """A webhook URL this service does not call (the reason names the rule, not the address)."""


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the checked address, and the host name the URL gave."""

    url: str  # the URL with the checked address in place of the host
    host: str
    host_header: str


def _public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _addresses(host: str, port: int) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl("the webhook's host does not resolve") from error
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]


def checked(url: str, allow_loopback: bool = False) -> Target:
    """Where a webhook URL may be called, or UnsafeUrl saying why not."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise UnsafeUrl("the webhook's URL is not a URL") from error
    if parsed.scheme not in {"https", "http"} or not parsed.host:
        raise UnsafeUrl("the webhook's URL must be https://<host>/...")
    if parsed.userinfo:
        raise UnsafeUrl("the webhook's URL must not carry credentials")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _addresses(parsed.host, port)
    loopback = allow_loopback and bool(addresses) and all(a.is_loopback for a in addresses)
    if not loopback:
        if parsed.scheme != "https":
            raise UnsafeUrl("the webhook's URL must be https")
        if not addresses or not all(_public(a) for a in addresses):
            raise UnsafeUrl(
                "the webhook's URL must lead to a public address (not private, loopback or link-local)"
            )
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    default = (parsed.scheme == "https" and port == 443) or (parsed.scheme == "http" and port == 80)
    return Target(
        url=str(parsed.copy_with(host=literal.strip("[]"), port=port)),
        host=parsed.host,
        host_header=parsed.host if default else f"{parsed.host}:{port}",
    )


def signed_headers(event: WebhookEvent, event_id: str, secret: str, at: datetime) -> dict[str, str]:
    from standardwebhooks import Webhook as StandardWebhook

    body = event.body
    return {
        "Content-Type": "application/json",
        "Decoda-Signature": hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest(),
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": StandardWebhook(secret).sign(event_id, at, body),
    }


class WebhookConnector(Unasked):
    #: a receiver dedupes by the event's id: a repeat after an unfinished attempt is at-least-once delivery
    idempotent = True

    def __init__(self, client: httpx.Client, allow_loopback: bool = False) -> None:
        self.client = client
        self.allow_loopback = allow_loopback

    def send(self, parcel: Parcel) -> SendResult:
        from invoice_hub.connectors.http import post, retry_after_seconds

        delivery = parcel.delivery
        event = delivery.event
        if event is None or not parcel.credential:
            return SendResult(ok=False, permanent=True, reason="not a webhook event")
        try:
            target = checked(parcel.to or delivery.destination.endpoint_url, self.allow_loopback)
        except UnsafeUrl as error:
            return SendResult(ok=False, permanent=True, reason=f"refused: {error}")
        headers = {
            **signed_headers(event, str(delivery.id), parcel.credential, datetime.now(UTC)),
            "Host": target.host_header,
        }
        request: dict[str, Any] = {"content": event.body.encode(), "headers": headers}
        if target.url.startswith("https://"):
            request["extensions"] = {"sni_hostname": target.host}
        answer = post(self.client, target.url, **request)
        if isinstance(answer, SendResult):
            return answer
        status = answer.status_code
        if 200 <= status < 300:
            return SendResult(ok=True, channel_status=str(status))
        return SendResult(
            ok=False,
            reason=f"{status} {answer.reason_phrase}".strip(),
            retry_after=retry_after_seconds(answer.headers.get("Retry-After")),
            channel_status=str(status),
        )
