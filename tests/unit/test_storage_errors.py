"""Storage failures the client sees as the contract says: throttling is 503 with Retry-After, not 500."""

from __future__ import annotations

import socket

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from pydantic import ValidationError

from invoice_hub.config import get_client_settings
from invoice_hub.dal.dynamo import cancellation_codes, throttling_as_busy, with_busy_errors
from invoice_hub.domain.errors import ServiceBusy


def client_error(code: str, **extra: object) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, **extra}, "PutItem")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_throttling_that_outlasts_retries_is_service_busy(code: str) -> None:
    with pytest.raises(ServiceBusy) as raised, throttling_as_busy():
        raise client_error(code)
    assert raised.value.retry_after >= 1


def test_other_client_errors_pass_through() -> None:
    with pytest.raises(ClientError), throttling_as_busy():
        raise client_error("ValidationException")


def test_cancellation_reasons_are_read_in_item_order() -> None:
    error = client_error(
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
    )
    assert cancellation_codes(error) == ["None", "ConditionalCheckFailed"]
    assert cancellation_codes(client_error("TransactionCanceledException")) == []


def test_a_dynamodb_that_does_not_answer_is_service_busy_after_the_retries() -> None:
    # given a port nothing listens on (bound, then closed) and a client that retries twice
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=0.5, read_timeout=0.5)
    client = with_busy_errors(
        boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )
    )
    # when a call cannot reach the store, then the caller sees ServiceBusy (503), not a botocore error (500)
    with pytest.raises(ServiceBusy) as raised:
        client.get_item(TableName="t", Key={"PK": {"S": "x"}})
    assert isinstance(raised.value.__cause__, EndpointConnectionError)


def test_the_dynamodb_timeout_is_five_seconds_unless_configured_within_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    try:
        monkeypatch.delenv("DYNAMODB_TIMEOUT_SECONDS", raising=False)
        get_client_settings.cache_clear()
        assert get_client_settings().dynamodb_timeout_seconds == 5
        monkeypatch.setenv("DYNAMODB_TIMEOUT_SECONDS", "60")  # the local stack's moto
        get_client_settings.cache_clear()
        assert get_client_settings().dynamodb_timeout_seconds == 60
        monkeypatch.setenv("DYNAMODB_TIMEOUT_SECONDS", "0")
        get_client_settings.cache_clear()
        with pytest.raises(ValidationError):
            get_client_settings()
    finally:
        monkeypatch.undo()
        get_client_settings.cache_clear()
