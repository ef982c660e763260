"""The DynamoDB client of this container, item (de)serialisation and error translation.

Throttling is retried by the SDK (standard mode, 4 attempts with jittered back-off); what outlasts those
retries becomes ServiceBusy (503 with Retry-After), never a 500. So does a transaction DynamoDB cancelled
only because it was throttled or met a concurrent transaction (cancellation reasons `ThrottlingError`,
`ProvisionedThroughputExceeded`, `TransactionConflict`; the SDK does not retry those): nothing of it was
written, and the client may retry. The client itself raises ServiceBusy for such an answer, whatever the
call (`after-call`, once the SDK's retries are spent), so no call site can let one through as a 500;
`throttling_as_busy` says the same at the call sites that name it. A DynamoDB that cannot be reached or
does not answer in time (connect or read timeout, a dropped connection), once the SDK's retries are spent,
is ServiceBusy too: the request may be retried (with its Idempotency-Key, a write that did land replays).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from invoice_hub import aws_clients
from invoice_hub.config import get_client_settings
from invoice_hub.dal.attribute_values import from_attribute, to_attribute
from invoice_hub.domain.errors import ServiceBusy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)

#: reasons of a cancelled transaction that mean "not now" rather than "no": nothing was written
BUSY_CANCELLATIONS = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded", "TransactionConflict"}
)


@lru_cache(maxsize=1)
def dynamodb_client() -> DynamoDBClient:
    """One client per container, created on first use and reused by every invocation."""
    timeout = get_client_settings().dynamodb_timeout_seconds
    config = Config(
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=min(2, timeout),
        read_timeout=timeout,
    )
    return with_busy_errors(aws_clients.client("dynamodb", config=config))


def with_busy_errors(client: DynamoDBClient) -> DynamoDBClient:
    """The client, raising ServiceBusy for what only means "not now" (see the module's docstring)."""
    client.meta.events.register("after-call.dynamodb", _busy_after_retries)
    client.meta.events.register("after-call-error.dynamodb", _busy_when_unreachable)
    return client


def _busy_when_unreachable(exception: Exception | None = None, **_: Any) -> None:
    """No answer from DynamoDB after the SDK's retries (timeouts, refused or dropped connections)."""
    if isinstance(exception, BotocoreConnectionError):
        raise ServiceBusy() from exception


def _busy_after_retries(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
    """An answer that is still throttling (or a busy cancellation) after the SDK's retries: ServiceBusy."""
    if http_response is not None and http_response.status_code >= 300:
        error = ClientError(parsed, model.name)  # type: ignore[arg-type]
        if busy(error):
            raise ServiceBusy() from error


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values to a DynamoDB item; None values are left out."""
    return {name: to_attribute(value) for name, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: from_attribute(value) for name, value in item.items()}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: ClientError) -> list[str]:
    """The per-item reasons of a cancelled transaction, in the order of its items."""
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons]


def busy(error: ClientError) -> bool:
    """Throttling, or a transaction cancelled only for throttling or a concurrent transaction (a reason
    such as ConditionalCheckFailed among them is the caller's to judge)."""
    code = error_code(error)
    if code in THROTTLING_CODES:
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = set(cancellation_codes(error)) - {"None"}
    return bool(reasons) and reasons <= BUSY_CANCELLATIONS


@contextmanager
def throttling_as_busy() -> Iterator[None]:
    """Throttling that outlasted the SDK's retries becomes ServiceBusy (503 with Retry-After), not a 500."""
    try:
        yield
    except ClientError as error:
        if busy(error):
            raise ServiceBusy() from error
        raise


def query_pages(client: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item a Query matches, page after page."""
    start: dict[str, Any] | None = None
    while True:
        page_request = {**request, "ExclusiveStartKey": start} if start else request
        with throttling_as_busy():
            response = client.query(**page_request)
        yield from response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        if not start:
            return


#: BatchGetItem's largest request
BATCH_GET = 100


def batch_get(
    client: Any, table: str, keys: Sequence[Mapping[str, Any]], attempts: int = 5
) -> list[dict[str, Any]]:
    """The items of `keys` (plain values) that exist, read 100 a request; what DynamoDB leaves unprocessed
    (throttling) is asked again, and what still is after `attempts` is ServiceBusy."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET):
        pending: list[dict[str, Any]] = [to_item(k) for k in keys[start : start + BATCH_GET]]
        for _ in range(attempts):
            if not pending:
                break
            with throttling_as_busy():
                answer = client.batch_get_item(RequestItems={table: {"Keys": pending}})
            found.extend(answer.get("Responses", {}).get(table, []))
            pending = list(answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))
        if pending:
            raise ServiceBusy("the table kept throttling the reads; retry shortly")
    return found


def full_items(client: Any, table: str, entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The table's items of these index entries, in the entries' order. The indexes project only the keys
    and what a list filters on (decision 020), so a list reads its items by `BatchGetItem` (100 a request,
    eventually consistent as the index itself is). An item deleted since its entry was read is left out."""
    pending: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        wanted = [{"PK": e["PK"]["S"], "SK": e["SK"]["S"]} for e in pending]
        found = {(i["PK"]["S"], i["SK"]["S"]): i for i in batch_get(client, table, wanted)}
        for key in wanted:
            item = found.get((key["PK"], key["SK"]))
            if item is not None:
                yield item
        pending.clear()

    for entry in entries:
        pending.append(entry)
        if len(pending) == BATCH_GET:
            yield from flush()
    if pending:
        yield from flush()
