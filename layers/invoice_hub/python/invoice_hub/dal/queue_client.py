"""SendQueue and its DLQ. SQS is transport only: a message names a delivery, DynamoDB holds its state.

Message bodies carry ids only (no patient data): `{"tenant_id": ..., "delivery_id": ...}`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from botocore.config import Config
from botocore.exceptions import ClientError

from invoice_hub import aws_clients
from invoice_hub.config import Settings
from invoice_hub.dal.dynamo import error_code

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

#: SQS keeps a message invisible for at most 12 hours
MAX_VISIBILITY_SECONDS = 12 * 3600


@dataclass(frozen=True)
class DeliveryRef:
    tenant_id: UUID
    delivery_id: UUID

    def body(self) -> str:
        return json.dumps({"tenant_id": str(self.tenant_id), "delivery_id": str(self.delivery_id)})

    @classmethod
    def parse(cls, body: str) -> DeliveryRef:
        data = json.loads(body)
        return cls(tenant_id=UUID(data["tenant_id"]), delivery_id=UUID(data["delivery_id"]))


@dataclass(frozen=True)
class MoveTask:
    started: bool  # False: one was already running, so none was started
    status: str
    task_handle: str | None


@lru_cache(maxsize=1)
def sqs_client() -> SQSClient:
    return aws_clients.client("sqs", config=Config(retries={"mode": "standard", "max_attempts": 4}))


class SendQueue:
    def __init__(self, queue_url: str, dlq_url: str, dlq_arn: str, client: Any = None) -> None:
        self.queue_url = queue_url
        self.dlq_url = dlq_url
        self.dlq_arn = dlq_arn
        self._client = client  # the ops command passes its target's

    @property
    def client(self) -> Any:
        """The SQS client, made on first use: a request that enqueues nothing (a draft created, a replay)
        does not pay for it at a cold start (docs/performance.md, issue 15)."""
        if self._client is None:
            self._client = sqs_client()
        return self._client

    @client.setter
    def client(self, client: Any) -> None:
        self._client = client

    def enqueue(self, refs: Sequence[DeliveryRef], workers: int = 1) -> list[DeliveryRef]:
        """Sends one message per delivery, 10 a `SendMessageBatch`, `workers` batches at a time (the client
        is thread-safe); returns the ones SQS did not take (the schedule re-enqueues PENDING deliveries
        that stay stuck, so a failure here loses nothing)."""
        chunks = [refs[start : start + 10] for start in range(0, len(refs), 10)]
        if workers > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
                refused = list(pool.map(self._send_batch, chunks))
        else:
            refused = [self._send_batch(chunk) for chunk in chunks]
        return [ref for chunk in refused for ref in chunk]

    def _send_batch(self, chunk: Sequence[DeliveryRef]) -> list[DeliveryRef]:
        entries: list[Any] = [{"Id": str(n), "MessageBody": ref.body()} for n, ref in enumerate(chunk)]
        response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return [chunk[int(entry["Id"])] for entry in response.get("Failed", [])]

    def enqueue_later(self, ref: DeliveryRef, seconds: int) -> bool:
        """One message SQS holds back `seconds` (at most 15 minutes); False if SQS refused it (the schedule
        enqueues the delivery when it is due)."""
        try:
            self.client.send_message(
                QueueUrl=self.queue_url, MessageBody=ref.body(), DelaySeconds=max(0, min(seconds, 900))
            )
        except ClientError:
            return False
        return True

    def to_dlq(self, ref: DeliveryRef) -> None:
        """A permanent failure goes straight to the DLQ: retrying it would only fail again."""
        self.client.send_message(QueueUrl=self.dlq_url, MessageBody=ref.body())

    def back_off(self, receipt_handle: str, seconds: int) -> None:
        self.client.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, MAX_VISIBILITY_SECONDS)),
        )

    def redrive_dlq(self) -> MoveTask:
        """Moves the DLQ's messages back to SendQueue (StartMessageMoveTask), unless a move is running."""
        running = self.running_move_task()
        if running is not None:
            return MoveTask(started=False, status="RUNNING", task_handle=running)
        try:
            response = self.client.start_message_move_task(SourceArn=self.dlq_arn)
        except ClientError as error:
            # started by someone else (the console, another call) since we looked
            message = str(error.response.get("Error", {}).get("Message", ""))
            if error_code(error) == "InvalidParameterValue" and "already a task running" in message:
                return MoveTask(started=False, status="RUNNING", task_handle=self.running_move_task())
            raise
        return MoveTask(started=True, status="RUNNING", task_handle=response.get("TaskHandle"))

    def running_move_task(self) -> str | None:
        tasks = self.client.list_message_move_tasks(SourceArn=self.dlq_arn, MaxResults=1).get("Results", [])
        for task in tasks:
            if task.get("Status") == "RUNNING":
                return str(task.get("TaskHandle", ""))
        return None


@lru_cache(maxsize=4)
def send_queue(settings: Settings) -> SendQueue:
    return SendQueue(*settings.queue_urls())
