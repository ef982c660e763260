"""Lambda's SQS event source mapping, played locally: poll a queue, call the handler, delete what it
handled.

Why: on AWS, Lambda's pollers feed SendQueue to the Sender; locally nothing does, so without this the
Sender would never run and a failure could never reach the DLQ. The rules are AWS's:

- the handler gets a real-shaped SQS event (lowerCamelCase record keys, `messageAttributes` with
  stringValue/binaryValue/dataType, `eventSourceARN`, ...) and a Lambda context;
- without ReportBatchItemFailures a batch is all or nothing: deleted if the handler returns, left
  alone if it raises;
- with ReportBatchItemFailures, every message not named in `batchItemFailures[].itemIdentifier` is
  deleted; a response Lambda cannot read (not an object, an entry without itemIdentifier, an empty or
  unknown itemIdentifier, not JSON-serializable) fails the whole batch, as on AWS; None, `{}` and an
  empty or null `batchItemFailures` are complete successes;
- a failed message is left alone: it comes back after its visibility timeout (or sooner if the
  handler changed its visibility), and moto's RedrivePolicy moves it to the DLQ once it has been
  received maxReceiveCount times (moto does that inside ReceiveMessage, as AWS does).

Why WaitTimeSeconds defaults to 0 here: aws.py serves moto one request at a time, and moto's long poll
waits inside the request, so a waiting ReceiveMessage would hold every other AWS call of the stack
(and the SendMessage that would end the wait). The poller short-polls instead and, between empty
receives, waits as a long poll would: until moto takes a message for the queue or one becomes visible
again (arrivals.py), or, for a poller given no `arrivals`, `idle_seconds`.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from invoice_hub_local import arrivals
from invoice_hub_local.arrivals import Arrivals
from invoice_hub_local.lambda_runtime import LambdaContext, handler_of
from invoice_hub_local.provision import Resolved
from invoice_hub_local.template import FunctionSpec, Stack

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
ContextFactory = Callable[[], Any]
MAX_BATCH = 10  # ReceiveMessage's limit; Lambda's larger batches need a batching window, not modelled
#: Workers of a mapping without ScalingConfig.MaximumConcurrency (Lambda would scale far wider)
DEFAULT_CONCURRENCY = 2


@dataclass(frozen=True)
class PollResult:
    """What one receive-invoke-delete round did; `failed` messages were left on the queue."""

    received: int
    succeeded: int
    failed: int


class InvalidBatchResponse(ValueError):
    """The handler's partial batch response cannot be read, so Lambda fails the whole batch."""


def lambda_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message as Lambda puts it in an event record (the shape Powertools' parsers expect)."""
    attributes = {str(k): str(v) for k, v in message.get("Attributes", {}).items()}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": {
            name: _lambda_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _lambda_message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """boto3's {StringValue, BinaryValue (bytes), DataType} → Lambda's lowerCamelCase, binary as base64."""
    converted: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        converted["binaryValue"] = base64.b64encode(
            raw if isinstance(raw, bytes) else str(raw).encode()
        ).decode()
    return converted


def failed_ids(response: Any, message_ids: set[str]) -> set[str]:
    """The message ids a ReportBatchItemFailures response names; raises InvalidBatchResponse when Lambda
    would treat the response as invalid (and so the whole batch as failed)."""
    if response is None:
        return set()
    try:
        json.dumps(response)
    except (TypeError, ValueError) as error:
        raise InvalidBatchResponse("the response is not JSON-serializable") from error
    if not isinstance(response, dict):
        raise InvalidBatchResponse(f"the response is a {type(response).__name__}, not an object")
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        raise InvalidBatchResponse("batchItemFailures is not a list")
    named: set[str] = set()
    for failure in failures:
        if not isinstance(failure, dict) or "itemIdentifier" not in failure:
            raise InvalidBatchResponse("a batchItemFailures entry has no itemIdentifier")
        identifier = failure["itemIdentifier"]
        if not isinstance(identifier, str) or not identifier or identifier not in message_ids:
            raise InvalidBatchResponse("an itemIdentifier names no message of the batch")
        named.add(identifier)
    return named


class QueuePoller:
    """One queue's event source mapping: `maximum_concurrency` workers, each receiving a batch of up to
    `batch_size` messages, invoking `handler` and deleting what it handled."""

    def __init__(
        self,
        queue_url: str,
        handler: Handler,
        *,
        function_name: str = "local-consumer",
        batch_size: int = MAX_BATCH,
        report_batch_item_failures: bool = True,
        maximum_concurrency: int = 1,
        wait_time_seconds: int = 0,
        idle_seconds: float = 0.2,
        timeout_seconds: int = 30,
        context_factory: ContextFactory | None = None,
        client: Any | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        arrivals: Callable[[], Arrivals] | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
        if maximum_concurrency < 1:
            raise ValueError("maximum_concurrency must be at least 1")
        if not 0 <= wait_time_seconds <= 20:
            raise ValueError("wait_time_seconds must be between 0 and 20")
        self.queue_url = queue_url
        self.handler = handler
        self.function_name = function_name
        self.batch_size = batch_size
        self.report_batch_item_failures = report_batch_item_failures
        self.maximum_concurrency = maximum_concurrency
        self.wait_time_seconds = wait_time_seconds
        self.idle_seconds = idle_seconds
        self.context_factory = context_factory or (
            lambda: LambdaContext(function_name=function_name, timeout_seconds=timeout_seconds)
        )
        self.client: Any = client or boto3.client("sqs", endpoint_url=endpoint_url, region_name=region_name)
        self._queue_arn: str | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # a worker with nothing to read waits on its own Arrivals (woken by a send), else idle_seconds
        self._arrivals = arrivals
        self._waiting: list[Arrivals] = []

    @property
    def queue_arn(self) -> str:
        if self._queue_arn is None:
            attributes = self.client.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
            )
            self._queue_arn = str(attributes["Attributes"]["QueueArn"])
        return self._queue_arn

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def poll_once(self) -> PollResult:
        """Receives one batch, invokes the handler once with it and deletes what succeeded."""
        queue_arn = self.queue_arn
        response = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_time_seconds,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        if not messages:
            return PollResult(0, 0, 0)
        region = queue_arn.split(":")[3]
        event = {"Records": [lambda_record(message, queue_arn, region) for message in messages]}
        handled = self._invoke(event, messages)
        deleted = self._delete([m for m in messages if m["MessageId"] in handled])
        return PollResult(received=len(messages), succeeded=deleted, failed=len(messages) - deleted)

    def _invoke(self, event: dict[str, Any], messages: list[dict[str, Any]]) -> set[str]:
        """The ids of the messages the handler dealt with (to delete)."""
        ids = {str(m["MessageId"]) for m in messages}
        try:
            response = self.handler(event, self.context_factory())
        except Exception:  # a function error fails the batch, as on Lambda; the poller lives on
            log.exception("%s failed a batch of %d from %s", self.function_name, len(ids), self.queue_url)
            return set()
        if not self.report_batch_item_failures:
            return ids
        try:
            return ids - failed_ids(response, ids)
        except InvalidBatchResponse as error:
            log.warning(
                "%s: invalid partial batch response (%s); the whole batch failed", self.function_name, error
            )
            return set()

    def _delete(self, messages: list[dict[str, Any]]) -> int:
        deleted = 0
        for start in range(0, len(messages), MAX_BATCH):
            chunk = messages[start : start + MAX_BATCH]
            entries: list[Any] = [
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)
            ]
            result = self.client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            deleted += len(result.get("Successful", []))
            for failure in result.get("Failed", []):
                log.warning("could not delete a message from %s: %s", self.queue_url, failure.get("Code"))
        return deleted

    # -- background workers --------------------------------------------------------------------------
    def start(self) -> QueuePoller:
        if self.running:
            return self
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._work, name=f"poller-{self.function_name}-{n}", daemon=True)
            for n in range(self.maximum_concurrency)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stops the workers; each finishes the batch it is handling (up to `timeout` seconds)."""
        self._stop.set()
        for waiting in list(self._waiting):
            waiting.wake()
        for thread in self._threads:
            thread.join(timeout)
        stuck = [thread.name for thread in self._threads if thread.is_alive()]
        if stuck:
            log.warning("pollers still finishing a batch: %s", ", ".join(stuck))
        self._threads = []

    def _work(self) -> None:
        arrivals = self._arrivals() if self._arrivals else None
        if arrivals is not None:
            self._waiting.append(arrivals)
        try:
            while not self._stop.is_set():
                try:
                    result = self.poll_once()
                except (BotoCoreError, ClientError) as error:
                    # The queue or moto's server may be gone (a stack stopping): back off, keep polling.
                    log.warning("polling %s failed: %s", self.queue_url, error)
                    self._stop.wait(1.0)
                    continue
                if result.received == 0:
                    if arrivals is None:
                        self._stop.wait(self.idle_seconds)
                    else:
                        arrivals.wait()
        finally:
            if arrivals is not None:
                arrivals.close()
                self._waiting.remove(arrivals)

    def __enter__(self) -> QueuePoller:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def mapping_pollers(
    stack: Stack, resolved: Resolved, endpoint_url: str, region_name: str
) -> list[QueuePoller]:
    """One (unstarted) poller per SQS event source mapping of the template, configured as the mapping
    is: batch size, ReportBatchItemFailures, MaximumConcurrency, the function's timeout."""
    client = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region_name)
    pollers: list[QueuePoller] = []
    for props in (r["Properties"] for r in stack.resources("AWS::Lambda::EventSourceMapping").values()):
        queue_arn = str(resolved.resolve(props["EventSourceArn"]))
        if queue_arn.split(":")[2] != "sqs" or props.get("Enabled", True) is False:
            continue
        spec = stack.functions[props["FunctionName"]["Ref"]]
        _, _, _, queue_region, account, queue_name = queue_arn.split(":")
        pollers.append(
            QueuePoller(
                client.get_queue_url(QueueName=queue_name)["QueueUrl"],
                _lazy_handler(spec),
                function_name=spec.logical_id,
                batch_size=min(int(props.get("BatchSize", MAX_BATCH)), MAX_BATCH),
                report_batch_item_failures="ReportBatchItemFailures"
                in props.get("FunctionResponseTypes", []),
                maximum_concurrency=int(
                    props.get("ScalingConfig", {}).get("MaximumConcurrency", DEFAULT_CONCURRENCY)
                ),
                timeout_seconds=spec.timeout,
                client=client,
                arrivals=partial(arrivals.queue, account, queue_region, queue_name),
            )
        )
    return pollers


def _lazy_handler(spec: FunctionSpec) -> Handler:
    """Imports the function on its first batch, as Lambda's cold start does (its module may read the
    environment the stack sets up after the pollers are built)."""

    def invoke(event: dict[str, Any], context: Any) -> Any:
        return handler_of(spec)(event, context)

    return invoke
