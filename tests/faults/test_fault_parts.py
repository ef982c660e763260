"""The parts the fault handling rests on, without the stack: which DynamoDB errors are "busy", the external
systems' status check, and the metrics' counting and flushing."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from botocore.exceptions import ClientError

from invoice_hub import metrics
from invoice_hub.connectors.base import Parcel
from invoice_hub.connectors.http import HttpConnector
from invoice_hub.dal.dynamo import busy, throttling_as_busy
from invoice_hub.domain.delivery import Delivery, Destination, Method
from invoice_hub.domain.errors import ServiceBusy
from invoice_hub_local.fake_external import FakeExternal
from invoice_hub_local.stack import LocalStack


def cancelled(*reasons: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": reason} for reason in reasons],
        },
        "TransactWriteItems",
    )


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (("ThrottlingError", "None"), True),
        (("None", "ProvisionedThroughputExceeded"), True),
        (("TransactionConflict", "None", "None"), True),
        (("ThrottlingError", "ConditionalCheckFailed"), False),  # a refusal: the caller judges it
        (("ConditionalCheckFailed", "None"), False),
        (("ValidationError",), False),
        ((), False),
    ],
)
def test_a_cancelled_transaction_is_busy_only_when_nothing_refused_it(
    reasons: tuple[str, ...], expected: bool
) -> None:
    assert busy(cancelled(*reasons)) is expected
    if expected:
        with pytest.raises(ServiceBusy), throttling_as_busy():
            raise cancelled(*reasons)


# -- the external systems' status check ---------------------------------------------------------------
@pytest.fixture(scope="module")
def fake() -> Iterator[FakeExternal]:
    with FakeExternal(port=0) as running:
        yield running


def delivery_to(url: str) -> Delivery:
    now = datetime.now(UTC)
    return Delivery(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        submission_id=uuid.uuid4(),
        destination=Destination(name="hub", kind="payer_hub", endpoint_url=url),
        method=Method.EBILL,
        created_at=now,
        updated_at=now,
    )


def test_the_status_check_tells_delivered_from_not_received_without_sending(fake: FakeExternal) -> None:
    fake.reset()
    connector = HttpConnector(5.0)
    delivery = delivery_to(f"{fake.url}/payer-hub/t-1")

    assert connector.status(Parcel(delivery)).found == "not_received"
    sent = connector.send(Parcel(delivery))
    check = connector.status(Parcel(delivery))

    assert sent.ok
    assert (check.found, check.external_reference) == ("delivered", sent.external_reference)
    received = fake.received()
    assert (received["sends"], received["delivered"], received["status_checks"]) == (1, 1, 2)
    assert [c["status"] for c in received["checks"]] == [404, 200]
    # the key is per path, as each path stands for one provider
    elsewhere = delivery.model_copy(
        update={"destination": delivery.destination.model_copy(update={"endpoint_url": f"{fake.url}/sms"})}
    )
    assert connector.status(Parcel(elsewhere)).found == "not_received"


def test_a_status_check_that_says_nothing_is_unknown(fake: FakeExternal) -> None:
    fake.reset()
    connector = HttpConnector(2.0)
    delivery = delivery_to(f"{fake.url}/payer-hub/t-2")
    connector.send(Parcel(delivery))

    fake.control("fail")
    try:
        assert connector.status(Parcel(delivery)).found == "unknown"
    finally:
        fake.control("ok")

    def page(request: httpx.Request) -> httpx.Response:  # a 2xx without a reference: a page, not a send
        return httpx.Response(200, text="<html>hub</html>")

    connector.client = httpx.Client(transport=httpx.MockTransport(page))
    assert connector.status(Parcel(delivery)).found == "unknown"
    connector.client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(405)))
    assert connector.status(Parcel(delivery)).found == "unknown"
    assert connector.status(Parcel(delivery_to("http://127.0.0.1:9/hub"))).found == "unknown"


# -- metrics ------------------------------------------------------------------------------------------
@pytest.fixture
def emf_environment(monkeypatch: pytest.MonkeyPatch, quiet_stack: LocalStack) -> None:
    """Metrics on, and the stack of this worker quiet: its functions run in this process and count into the
    same totals (a redriven send the pollers were still handling put Redrives in a test's flush)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "InvoiceHub")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "invoice-hub")
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.flush()


def test_counts_from_many_threads_are_written_as_one_total(
    emf_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    def send_many() -> None:
        for _ in range(500):
            metrics.count(metrics.SENDS)

    threads = [threading.Thread(target=send_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    metrics.count(metrics.REDRIVES, 0)  # nothing to count is not a datapoint

    written = metrics.flushed(lambda event, context: "done")({}, None)

    assert written == "done"
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert line["Sends"] in (4000, [4000], [4000.0])
    assert "Redrives" not in line
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "InvoiceHub"
    assert metrics.counted() == {}


def test_a_handler_that_raised_still_writes_what_it_counted(
    emf_environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(event: object, context: object) -> None:
        metrics.count(metrics.SEND_FAILURES)
        raise RuntimeError("the invocation failed")

    with pytest.raises(RuntimeError):
        metrics.flushed(failing)({}, None)

    assert '"SendFailures"' in capsys.readouterr().out
    assert metrics.flush() == {}
