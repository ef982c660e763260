"""SQS message move tasks (DLQ redrive) for moto's SQS, which answers NotImplementedError for them.

Why: `retryallfailed` and the console's "start DLQ redrive" both call StartMessageMoveTask, and the
local stack must run the same boto3 calls against moto's server as production runs against AWS. So
this module adds StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask to moto's
SQSResponse (the class that serves SQS over HTTP, JSON and query protocols alike) rather than faking
them in product code.

AWS behaviour kept (error codes, messages and result fields as in the real-SQS responses recorded by
LocalStack's snapshot tests; the texts for an out-of-range rate or MaxResults and for cancelling a task
that is not RUNNING are not from AWS):

- the task is asynchronous: Start returns a TaskHandle at once and a background thread moves the
  messages, at most MaxNumberOfMessagesPerSecond (default here DEFAULT_RATE, so it is quick locally);
  callers must poll ListMessageMoveTasks, never assume completion;
- only one active (RUNNING or CANCELLING) task per source queue; a second Start answers
  `InvalidParameterValue` "There is already a task running. ..." (HTTP 400);
- the source must be a dead-letter queue of some queue (`InvalidParameterValue` otherwise); unknown
  source or destination queues answer `ResourceNotFoundException` (HTTP 404);
- without DestinationArn each message goes back to the queue it was dead-lettered from (remembered
  when moto moves it to the DLQ) or, for a message that came another way, to the DLQ's only source;
- a moved message is a new message at its destination: same body, message attributes and FIFO group,
  receive count back at 0; messages in flight in the DLQ are moved once they are visible again; the
  task moves what the DLQ held when it started, not what arrives later;
- ListMessageMoveTasks returns the newest tasks first (MaxResults 1 by default, at most 10); the
  TaskHandle only while RUNNING; DestinationArn and MaxNumberOfMessagesPerSecond only when given.

Concurrency: moto's backends are plain Python objects. The mover thread changes them outside any
HTTP request, so every SQS request served by moto and every step of a mover hold BACKEND_LOCK (a
process-wide RLock, because moto's backends are process-wide). When aws.py's one-request-at-a-time lock
is this same lock, requests of other moto services that touch SQS queues (an SNS or EventBridge
delivery) are excluded from a running mover too; with a lock of its own they are not.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult
from moto.sqs.exceptions import SQSException
from moto.sqs.models import Message, SQSBackend, sqs_backends
from moto.sqs.responses import SQSResponse

log = logging.getLogger(__name__)

#: Serializes moto's SQS state between HTTP requests and the mover threads (reentrant: a request that
#: already holds it, e.g. through aws.py, may take it again).
BACKEND_LOCK = threading.RLock()
#: Messages per second when StartMessageMoveTask names no rate (AWS picks a "system optimized" rate).
DEFAULT_RATE = 500
MAX_RATE = 500  # AWS's upper bound for MaxNumberOfMessagesPerSecond
TASKS_KEPT_PER_SOURCE = 10
#: A mover's step: it moves up to this share of a second's messages at once, then waits for the rate.
STEP_SECONDS = 0.05
#: How often a mover looks again while the messages left to move are in flight or delayed.
IN_FLIGHT_RECHECK_SECONDS = 0.05

RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
CANCELLING = "CANCELLING"
CANCELLED = "CANCELLED"
FAILED = "FAILED"
ACTIVE = frozenset({RUNNING, CANCELLING})

ALREADY_RUNNING = (
    "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
)
NOT_A_DLQ = "Source queue must be configured as a Dead Letter Queue."
_ORIGIN_ATTR = "invoice_hub_dead_letter_source_arn"
_TASKS_ATTR = "invoice_hub_message_move_tasks"
_INSTALLED_ATTR = "invoice_hub_message_move_tasks_installed"
_install_lock = threading.Lock()


class ResourceNotFound(SQSException):
    """AWS answers a missing source, destination or task with 404, not the 400 of other SQS errors."""

    code = "ResourceNotFoundException"

    def __init__(self, message: str) -> None:
        super().__init__(self.code, message)


def invalid_parameter(message: str) -> SQSException:
    return SQSException("InvalidParameterValue", message)


class _MoveFailed(Exception):
    """Ends a task as FAILED with `reason` (AWS reports an error code as FailureReason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class QueueArn:
    region: str
    account_id: str
    name: str

    @classmethod
    def parse(cls, value: Any, parameter: str) -> QueueArn:
        parts = value.split(":") if isinstance(value, str) else []
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not all(parts[3:]):
            raise invalid_parameter(
                f"Value {value} for parameter {parameter} is invalid. Reason: Invalid ARN."
            )
        return cls(region=parts[3], account_id=parts[4], name=parts[5])

    def backend(self) -> Any:
        return sqs_backends[self.account_id][self.region]

    def queue(self) -> Any | None:
        queue: Any | None = self.backend().queues.get(self.name)
        return queue


@dataclass
class MoveTask:
    """One StartMessageMoveTask; `pending` holds moto's Message objects still to move."""

    task_id: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: int
    pending: list[Any]
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    moved: int = 0
    status: str = RUNNING
    failure_reason: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def handle(self) -> str:
        """AWS's handles are base64 JSON naming the task and its source; Cancel relies on that."""
        raw = json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn}, separators=(",", ":"))
        return base64.b64encode(raw.encode()).decode()

    def entry(self) -> dict[str, Any]:
        """The ListMessageMoveTasksResultEntry: only the fields AWS includes for this task's state."""
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == RUNNING:
            entry["TaskHandle"] = self.handle
        if self.destination_arn is not None:
            entry["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            entry["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure_reason is not None:
            entry["FailureReason"] = self.failure_reason
        return entry


def _tasks_of(backend: Any) -> dict[str, list[MoveTask]]:
    """Tasks live on the source queue's backend, so moto's reset forgets them with the queues."""
    tasks: dict[str, list[MoveTask]] | None = getattr(backend, _TASKS_ATTR, None)
    if tasks is None:
        tasks = {}
        setattr(backend, _TASKS_ATTR, tasks)
    return tasks


def _all_tasks() -> list[MoveTask]:
    found: list[MoveTask] = []
    for _account, _region, backend in sqs_backends.iter_backends():
        for tasks in getattr(backend, _TASKS_ATTR, {}).values():
            found.extend(tasks)
    return found


def _dead_letter_sources(dlq: Any) -> list[Any]:
    backend = QueueArn.parse(dlq.queue_arn, "SourceArn").backend()
    return [queue for queue in backend.queues.values() if queue.dead_letter_queue is dlq]


# -- the three actions (the HTTP actions call them with BACKEND_LOCK held; so must anyone else) ----------
def start(source_arn: Any, destination_arn: Any = None, rate: Any = None) -> MoveTask:
    """StartMessageMoveTask: validates as AWS does, records the task and starts its mover thread."""
    source_ref = QueueArn.parse(source_arn, "SourceArn")
    destination_ref = None if destination_arn is None else QueueArn.parse(destination_arn, "DestinationArn")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_RATE
    ):
        raise invalid_parameter(
            f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. "
            f"Reason: must be between 1 and {MAX_RATE}."
        )
    source = source_ref.queue()
    if source is None:
        raise ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
    if not _dead_letter_sources(source):
        raise invalid_parameter(NOT_A_DLQ)
    if destination_ref is not None:
        destination = destination_ref.queue()
        if destination is None:
            raise ResourceNotFound(
                "The resource that you specified for the DestinationArn parameter doesn't exist."
            )
        if bool(destination.fifo_queue) != bool(source.fifo_queue):
            raise invalid_parameter("The source queue and destination queue must be of the same queue type.")
    history = _tasks_of(source_ref.backend()).setdefault(source_arn, [])
    if any(task.status in ACTIVE for task in history):
        raise invalid_parameter(ALREADY_RUNNING)
    pending = list(source._messages)
    task = MoveTask(
        task_id=str(uuid.uuid4()),
        source_arn=source_arn,
        destination_arn=destination_arn,
        rate=rate,
        to_move=len(pending),
        pending=pending,
    )
    history.insert(0, task)
    del history[TASKS_KEPT_PER_SOURCE:]
    task.thread = threading.Thread(target=_run, args=(task,), name=f"sqs-move-{source_ref.name}", daemon=True)
    task.thread.start()
    log.info("message move task %s started: %d messages from %s", task.task_id, task.to_move, source_arn)
    return task


def list_tasks(source_arn: Any, max_results: Any = None) -> list[dict[str, Any]]:
    """ListMessageMoveTasks: the source's newest tasks first, as ListMessageMoveTasksResultEntry."""
    source_ref = QueueArn.parse(source_arn, "SourceArn")
    limit = 1 if max_results is None else max_results
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= TASKS_KEPT_PER_SOURCE:
        raise invalid_parameter(
            f"Value {max_results} for parameter MaxResults is invalid. "
            f"Reason: must be between 1 and {TASKS_KEPT_PER_SOURCE}."
        )
    if source_ref.queue() is None:
        raise ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
    history = _tasks_of(source_ref.backend()).get(source_arn, [])
    return [task.entry() for task in history[:limit]]


def cancel(handle: Any) -> int:
    """CancelMessageMoveTask: a RUNNING task becomes CANCELLING (its mover then ends it CANCELLED);
    returns the messages moved so far, which stay moved."""
    try:
        decoded = json.loads(base64.b64decode(str(handle), validate=True))
        task_id, source_arn = str(decoded["taskId"]), str(decoded["sourceArn"])
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise invalid_parameter("Value for parameter TaskHandle is invalid.") from error
    source_ref = QueueArn.parse(source_arn, "SourceArn")
    if source_ref.queue() is None:
        raise ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
    for task in _tasks_of(source_ref.backend()).get(source_arn, []):
        if task.task_id == task_id:
            if task.status != RUNNING:
                raise invalid_parameter(f"Only a RUNNING task can be cancelled; this one is {task.status}.")
            task.status = CANCELLING
            task.stop.set()
            log.info("message move task %s cancelling after %d messages", task.task_id, task.moved)
            return task.moved
    raise ResourceNotFound("Task does not exist.")


def shutdown(timeout: float = 2.0) -> None:
    """Cancels every running task and waits for its thread (for a local stack that is stopping)."""
    with BACKEND_LOCK:
        tasks = [task for task in _all_tasks() if task.status in ACTIVE]
        for task in tasks:
            task.status = CANCELLING
            task.stop.set()
    for task in tasks:
        if task.thread is not None:
            task.thread.join(timeout)


# -- the mover --------------------------------------------------------------------------------------
def _run(task: MoveTask) -> None:
    """Moves the task's messages in small steps, each atomic under BACKEND_LOCK, paced between steps
    so that the rate holds: a step moves up to a STEP_SECONDS share of a second's messages."""
    rate = task.rate or DEFAULT_RATE
    per_step = max(1, int(rate * STEP_SECONDS))
    try:
        while not task.stop.is_set():
            began = time.monotonic()
            with BACKEND_LOCK:
                moved = _move_some(task, per_step)
            if moved is None:
                break
            if moved:
                task.stop.wait(max(0.0, moved / rate - (time.monotonic() - began)))
            else:  # what is left is in flight or delayed: AWS moves it once it is visible
                task.stop.wait(IN_FLIGHT_RECHECK_SECONDS)
    except _MoveFailed as failure:
        _finish(task, FAILED, failure.reason)
        return
    except Exception:  # a bug here must end the task visibly, not leave it RUNNING forever
        log.exception("message move task %s failed", task.task_id)
        _finish(task, FAILED, "InternalError")
        return
    _finish(task, CANCELLED if task.stop.is_set() else COMPLETED)


def _finish(task: MoveTask, status: str, reason: str | None = None) -> None:
    with BACKEND_LOCK:
        task.status = status
        task.failure_reason = reason
        task.pending = []
    log.info("message move task %s %s: %d of %d moved", task.task_id, status, task.moved, task.to_move)


def _move_some(task: MoveTask, limit: int) -> int | None:
    """Moves up to `limit` visible messages; None once nothing is left to move. Called with the lock."""
    source = QueueArn.parse(task.source_arn, "SourceArn").queue()
    if source is None:
        raise _MoveFailed("AWS.SimpleQueueService.NonExistentQueue")
    present = {id(message) for message in source._messages}
    task.pending = [message for message in task.pending if id(message) in present]  # deleted or purged
    if not task.pending:
        return None
    ready = list(itertools.islice((m for m in task.pending if m.visible and not m.delayed), limit))
    moved: set[int] = set()
    try:
        for message in ready:
            _send_copy(_destination(task, source, message), message)
            moved.add(id(message))
            source.pending_messages.discard(message)
            source.deleted_messages.update(handle for handle in message.all_receipt_handles if handle)
    finally:  # what was copied leaves the source even if a later message fails the task
        source._messages = [message for message in source._messages if id(message) not in moved]
        task.pending = [message for message in task.pending if id(message) not in moved]
        task.moved += len(moved)
    return len(moved)


def _destination(task: MoveTask, source: Any, message: Any) -> Any:
    if task.destination_arn is not None:
        destination = QueueArn.parse(task.destination_arn, "DestinationArn").queue()
        if destination is None:
            raise _MoveFailed("AWS.SimpleQueueService.NonExistentQueue")
        return destination
    origin_arn = getattr(message, _ORIGIN_ATTR, None)
    if origin_arn is not None:
        origin = QueueArn.parse(origin_arn, "SourceArn").queue()
        if origin is None:
            raise _MoveFailed("AWS.SimpleQueueService.NonExistentQueue")
        return origin
    sources = _dead_letter_sources(source)
    if len(sources) != 1:
        # A message sent straight to a DLQ with several sources has no original queue to go back to.
        raise _MoveFailed("AWS.SimpleQueueService.UnsupportedOperation")
    return sources[0]


def _send_copy(destination: Any, message: Any) -> None:
    """A new message at the destination: same body, attributes and FIFO group, a fresh id, receive
    count 0. Built here rather than through SQSBackend.send_message, which reads every message of
    the destination queue on each send (a large redrive would hold the lock for seconds)."""
    copied = Message(str(uuid.uuid4()), message.body, copy.deepcopy(message.system_attributes))
    copied.message_attributes = copy.deepcopy(message.message_attributes)
    if destination.fifo_queue:
        copied.group_id = message.group_id
        copied.deduplication_id = message.deduplication_id
        copied.sequence_number = message.sequence_number
    copied.mark_sent(delay_seconds=int(destination.delay_seconds or 0))
    destination.add_message(copied)


# -- moto patches -----------------------------------------------------------------------------------
def _answer(response: Any, action: Callable[[], dict[str, Any]]) -> Any:
    """Runs an action under BACKEND_LOCK; ResourceNotFound gets AWS's 404 (moto's model says 400)."""
    try:
        with BACKEND_LOCK:
            return ActionResult(action())
    except ResourceNotFound as error:
        _status, headers, body = response.serialized(ActionResult(error))
        headers["status"] = 404
        return body, headers


def _start_message_move_task(self: Any) -> Any:
    return _answer(
        self,
        lambda: {
            "TaskHandle": start(
                self._get_param("SourceArn"),
                self._get_param("DestinationArn"),
                self._get_param("MaxNumberOfMessagesPerSecond"),
            ).handle
        },
    )


def _list_message_move_tasks(self: Any) -> Any:
    return _answer(
        self, lambda: {"Results": list_tasks(self._get_param("SourceArn"), self._get_param("MaxResults"))}
    )


def _cancel_message_move_task(self: Any) -> Any:
    return _answer(self, lambda: {"ApproximateNumberOfMessagesMoved": cancel(self._get_param("TaskHandle"))})


def _locked_call_action(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def call_action(self: Any) -> Any:
        with BACKEND_LOCK:
            return original(self)

    return call_action


def _receive_remembering_origin(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto moves a message to the DLQ inside ReceiveMessage; remember the queue it came from, which
    is where a move task without DestinationArn sends it back."""

    def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        queue = self.get_queue(queue_name)
        dlq = queue.dead_letter_queue
        before = list(queue._messages) if dlq is not None else []
        result = original(self, queue_name, *args, **kwargs)
        if before:
            still_here = {id(m) for m in queue._messages}
            in_dlq = {id(m) for m in dlq._messages}
            for message in before:
                if id(message) not in still_here and id(message) in in_dlq:
                    setattr(message, _ORIGIN_ATTR, queue.queue_arn)
        return result

    return receive_message


def install() -> None:
    """Adds the move-task actions to moto's SQS (idempotent; works before or after a server starts,
    since moto builds a new SQSResponse for every request)."""
    with _install_lock:
        if getattr(SQSResponse, _INSTALLED_ATTR, False):
            return
        # setattr: these are new attributes on moto's classes, and the patched ones keep their names
        setattr(SQSResponse, "start_message_move_task", _start_message_move_task)  # noqa: B010
        setattr(SQSResponse, "list_message_move_tasks", _list_message_move_tasks)  # noqa: B010
        setattr(SQSResponse, "cancel_message_move_task", _cancel_message_move_task)  # noqa: B010
        setattr(SQSResponse, "call_action", _locked_call_action(SQSResponse.call_action))  # noqa: B010
        setattr(SQSBackend, "receive_message", _receive_remembering_origin(SQSBackend.receive_message))  # noqa: B010
        setattr(SQSResponse, _INSTALLED_ATTR, True)
