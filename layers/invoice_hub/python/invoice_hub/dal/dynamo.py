"""The DynamoDB client of this container, item (de)serialisation and error translation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from invoice_hub.errors import ServiceBusy

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

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@lru_cache(maxsize=1)
def dynamodb_client() -> DynamoDBClient:
    """One client per container, created on first use and reused by every invocation."""
    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5)
    return boto3.client("dynamodb", config=config)


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values to a DynamoDB item; None values are left out."""
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: ClientError) -> list[str]:
    """The per-item reasons of a cancelled transaction, in the order of its items."""
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons]


@contextmanager
def throttling_as_busy() -> Iterator[None]:
    """Throttling that outlasted the SDK's retries becomes ServiceBusy (503 with Retry-After), not a 500."""
    try:
        yield
    except ClientError as error:
        if error_code(error) in THROTTLING_CODES:
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
