"""How an AWS channel's refusal is classified: retryable (throttling, the service or the network down)
or permanent (the request itself is refused: it would be refused again)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from invoice_hub.connectors.base import SendResult

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalFailure",
        "InternalError",
        "InternalErrorException",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSThrottlingException",
    }
)


def refused(service: str, error: ClientError | BotoCoreError) -> SendResult:
    """The SendResult of a call that raised: the error code names the reason (never the request)."""
    if isinstance(error, BotoCoreError):  # no answer: the endpoint, a timeout, the connection
        return SendResult(ok=False, reason=f"{service} unreachable: {type(error).__name__}")
    code = error.response.get("Error", {}).get("Code", "Unknown")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in RETRYABLE_CODES or status >= 500:
        return SendResult(ok=False, reason=f"{service} unavailable: {code}")
    return SendResult(ok=False, permanent=True, reason=f"{service} refused: {code}")
