"""Lambda's DynamoDB stream event source mapping, played locally over moto's stream.

On AWS, Lambda reads each shard of the table's stream in order and hands the function batches of
records; locally nothing would, so the webhooks' events (made from the table's changes) would never be
made. The rules are AWS's, where a client can tell:

- the event is `{"Records": [...]}`, each record as the stream gives it (eventID, eventName INSERT /
  MODIFY / REMOVE, `dynamodb` with Keys, NewImage, OldImage, SequenceNumber) plus `eventSourceARN`;
- the mapping's FilterCriteria are applied before the function is invoked (a record no filter matches is
  skipped, never seen by the function), with EventBridge's pattern rules (moto's matcher);
- with ReportBatchItemFailures, the function names the first record it failed (`itemIdentifier` = its
  sequence number): the records before it are done, and the batch is read again from it; a function
  error or an unreadable answer retries the whole batch. After MaximumRetryAttempts retries (and
  BisectBatchOnFunctionError's halving), the failed records' place is sent to the OnFailure destination
  (an SQS queue) and the shard moves on, as Lambda does;
- records are read from the position the mapping starts at (TRIM_HORIZON: the stream's beginning).

moto keeps every record of a stream for ever; here the records the mapping is done with are dropped
(the stream's 24-hour retention, shortened to "once read"), so a long local session does not grow.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from moto.dynamodb.models import dynamodb_backends
from moto.events.models import EventPattern

from invoice_hub_local import arrivals
from invoice_hub_local.lambda_runtime import LambdaContext, handler_of
from invoice_hub_local.provision import ACCOUNT, Resolved
from invoice_hub_local.sqs_move_tasks import BACKEND_LOCK
from invoice_hub_local.template import FunctionSpec, Stack

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
#: Lambda's default and largest batch of a DynamoDB stream mapping
DEFAULT_BATCH = 100
MAX_BATCH = 10_000


def failed_from(response: Any, sequence_numbers: list[str]) -> int | None:
    """The index of the first record the function failed (None: all done), from a partial batch response;
    ValueError for an answer Lambda cannot read."""
    if response is None or response == {}:
        return None
    if not isinstance(response, Mapping):
        raise ValueError("the response is not an object")
    failures = response.get("batchItemFailures")
    if not failures:
        return None
    if not isinstance(failures, list):
        raise ValueError("batchItemFailures is not a list")
    found: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not isinstance(identifier, str) or identifier not in sequence_numbers:
            raise ValueError("an itemIdentifier is not a sequence number of the batch")
        found.append(sequence_numbers.index(identifier))
    return min(found)


class StreamPoller:
    """One stream mapping: one worker reading the table's shard in order (moto's stream has one shard)."""

    def __init__(
        self,
        table_name: str,
        stream_arn: str,
        handler: Handler,
        *,
        function_name: str,
        endpoint_url: str,
        region_name: str,
        batch_size: int = DEFAULT_BATCH,
        filters: list[str] | None = None,
        report_batch_item_failures: bool = True,
        maximum_retry_attempts: int = -1,
        bisect: bool = False,
        on_failure_queue_arn: str | None = None,
        timeout_seconds: int = 30,
        idle_seconds: float = 0.2,
        watch_arrivals: bool = False,
    ) -> None:
        self.table_name = table_name
        self.stream_arn = stream_arn
        self.handler = handler
        self.function_name = function_name
        self.region_name = region_name
        self.batch_size = min(max(batch_size, 1), MAX_BATCH)
        self.patterns = [EventPattern.load(text) for text in filters or []]
        self.report_batch_item_failures = report_batch_item_failures
        self.maximum_retry_attempts = maximum_retry_attempts
        self.bisect = bisect
        self.on_failure_queue_arn = on_failure_queue_arn
        self.timeout_seconds = timeout_seconds
        self.idle_seconds = idle_seconds
        self.sqs: Any = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region_name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # with nothing to read, wait for moto to write a record to the stream (arrivals.py), else idle_seconds
        self._arrivals = arrivals.stream(table_name) if watch_arrivals else None

    # -- reading ---------------------------------------------------------------------------------------
    def _read(self) -> list[dict[str, Any]]:
        """The next batch from the shard's horizon (the records before it are done and dropped, `_trim`),
        as GetRecords gives them and Lambda hands them: JSON (the record's time as epoch seconds), with the
        stream's ARN. Read from moto in this process, as the trim is: read over HTTP, every record of the
        table (the filters keep few) was serialized by moto and parsed by botocore, about 40 s of the test
        run's CPU, and nothing a function can tell differs."""
        with BACKEND_LOCK:
            table = dynamodb_backends[ACCOUNT][self.region_name].tables.get(self.table_name)
            shard = table.stream_shard if table is not None else None
            records = [record.to_json() for record in shard.items[: self.batch_size]] if shard else []
            text = [json.dumps(record, default=_json_default) for record in records]
        return [{**json.loads(record), "eventSourceARN": self.stream_arn} for record in text]

    def _matches(self, record: dict[str, Any]) -> bool:
        return not self.patterns or any(pattern.matches_event(record) for pattern in self.patterns)  # type: ignore[arg-type]

    def poll_once(self) -> int:
        """Reads one batch and hands what the filters keep to the function; the number of records read."""
        records = self._read()
        if records:
            kept = [r for r in records if self._matches(r)]
            if kept:
                self._deliver(kept)
            self._trim(records[-1]["dynamodb"]["SequenceNumber"])
        return len(records)

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        """Invokes the function until the batch is done, retrying from the first failed record; what
        still fails after the retries goes to the OnFailure destination."""
        pending = records
        retries = 0
        while pending and not self._stop.is_set():
            failed_at = self._invoke(pending)
            if failed_at is None:
                return
            if self.bisect and failed_at == 0 and len(pending) > 1:
                half = len(pending) // 2
                self._deliver_part(pending[:half])
                pending = pending[half:]
                continue
            pending = pending[failed_at:]
            retries += 1
            if 0 <= self.maximum_retry_attempts < retries:
                self._to_on_failure(pending)
                return
            self._stop.wait(min(0.05 * 2**retries, 2.0))

    def _deliver_part(self, records: list[dict[str, Any]]) -> None:
        self._deliver(records)

    def _invoke(self, records: list[dict[str, Any]]) -> int | None:
        sequence = [str(r["dynamodb"]["SequenceNumber"]) for r in records]
        context = LambdaContext(function_name=self.function_name, timeout_seconds=self.timeout_seconds)
        try:
            response = self.handler({"Records": records}, context)
        except Exception:  # a function error: the batch is retried, as on Lambda
            log.exception("%s failed a batch of %d stream records", self.function_name, len(records))
            return 0
        if not self.report_batch_item_failures:
            return None
        try:
            return failed_from(response, sequence)
        except ValueError as error:
            log.warning(
                "%s: invalid partial batch response (%s); the batch is retried", self.function_name, error
            )
            return 0

    def _to_on_failure(self, records: list[dict[str, Any]]) -> None:
        """Lambda's record of a batch it gave up on: where it lies in the stream (not the records)."""
        if not self.on_failure_queue_arn:
            log.warning("%s: %d stream records dropped after their retries", self.function_name, len(records))
            return
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        message = {
            "requestContext": {
                "functionArn": f"arn:aws:lambda:{self.region_name}:{ACCOUNT}:function:{self.function_name}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self.maximum_retry_attempts + 1,
            },
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": "shardId-local",
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }
        url = self.sqs.get_queue_url(QueueName=self.on_failure_queue_arn.rsplit(":", 1)[1])["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))

    def _trim(self, through: str) -> None:
        """Drops the stream's records up to `through` (read and done with)."""
        with BACKEND_LOCK:
            table = dynamodb_backends[ACCOUNT][self.region_name].tables.get(self.table_name)
            shard = table.stream_shard if table is not None else None
            if shard is None:
                return
            done = int(through) - shard.starting_sequence_number + 1
            if done > 0:
                del shard.items[:done]
                shard.starting_sequence_number += done

    # -- background worker ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> StreamPoller:
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._work, name=f"stream-{self.function_name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._arrivals is not None:
            self._arrivals.wake()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                read = self.poll_once()
            except (BotoCoreError, ClientError) as error:
                log.warning("the stream mapping of %s failed: %s", self.table_name, error)
                self._stop.wait(1.0)
                continue
            except Exception:  # the poller's own fault: logged, and the poller lives on (as Lambda's does)
                log.exception("stream poller of %s", self.table_name)
                self._stop.wait(1.0)
                continue
            if read == 0:
                if self._arrivals is None:
                    self._stop.wait(self.idle_seconds)
                else:
                    self._arrivals.wait()


def _json_default(value: object) -> object:
    if isinstance(value, datetime):  # moto's record time: naive, in UTC
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON")


def stream_pollers(
    stack: Stack, resolved: Resolved, endpoint_url: str, region_name: str
) -> list[StreamPoller]:
    """One (unstarted) poller per DynamoDB stream mapping of the template, configured as the mapping is."""
    pollers: list[StreamPoller] = []
    for props in (r["Properties"] for r in stack.resources("AWS::Lambda::EventSourceMapping").values()):
        arn = str(resolved.resolve(props["EventSourceArn"]))
        if arn.split(":")[2] != "dynamodb" or props.get("Enabled", True) is False:
            continue
        spec: FunctionSpec = stack.functions[props["FunctionName"]["Ref"]]
        destination = (props.get("DestinationConfig") or {}).get("OnFailure") or {}
        pollers.append(
            StreamPoller(
                arn.split(":table/", 1)[1].split("/stream/", 1)[0],
                arn,
                _lazy_handler(spec),
                function_name=spec.logical_id,
                endpoint_url=endpoint_url,
                region_name=region_name,
                batch_size=int(props.get("BatchSize", DEFAULT_BATCH)),
                filters=[f["Pattern"] for f in (props.get("FilterCriteria") or {}).get("Filters", [])],
                report_batch_item_failures="ReportBatchItemFailures"
                in props.get("FunctionResponseTypes", []),
                maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                on_failure_queue_arn=str(resolved.resolve(destination["Destination"]))
                if destination.get("Destination")
                else None,
                timeout_seconds=spec.timeout,
                watch_arrivals=True,
            )
        )
    return pollers


def _lazy_handler(spec: FunctionSpec) -> Handler:
    def invoke(event: dict[str, Any], context: Any) -> Any:
        return handler_of(spec)(event, context)

    return invoke
