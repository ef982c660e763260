"""Storage failures the client sees as the contract says: throttling is 503 with Retry-After, not 500."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from invoice_hub.dal.dynamo import cancellation_codes, throttling_as_busy
from invoice_hub.errors import ServiceBusy


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
