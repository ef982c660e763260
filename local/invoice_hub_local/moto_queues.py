"""SQS's SendMessage and ReceiveMessage in moto, without counting the queue.

moto's SendMessage reads one attribute of the queue (ContentBasedDeduplication), and its ReceiveMessage one
(MessageRetentionPeriod) for every message it hands out, through the property that builds all of them;
three of those (ApproximateNumberOfMessages, ...Delayed, ...NotVisible) walk every message of the queue.
So each message sent to or received from a queue of 10,000 costs three walks of 10,000: a retry-all that
puts 500 sends back on a full queue, or a Sender draining it, takes seconds that SQS, which does not count
a queue to take or hand out a message, never takes.

Here, inside a SendMessage (and each entry of a SendMessageBatch) and a ReceiveMessage, those three counts
are not computed: the attributes moto reads are the same, and the counts were never part of the answer.
Everywhere else (GetQueueAttributes, the console's and the ops command's queue depths) they are counted
as before.

`install()` is called by the local stack before moto's server starts; it is idempotent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.sqs.models import Queue, SQSBackend

COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)
_install_lock = threading.Lock()
_uncounted = threading.local()  # `active` inside a send or receive


def _not_counted_in_a_send_or_receive(count: property) -> property:
    def fget(queue: Queue) -> int | None:
        if getattr(_uncounted, "active", False):
            return None  # built into attributes of which a send or receive reads one other value
        value: int = count.fget(queue)  # type: ignore[misc]  # moto's property always has a getter
        return value

    return property(fget)


def install() -> None:
    with _install_lock:
        if not getattr(SQSBackend.send_message, "_does_not_count", False):
            _install()


def _not_counting(action: Callable[..., Any]) -> Callable[..., Any]:
    def uncounted(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(_uncounted, "active", False)
        _uncounted.active = True
        try:
            return action(self, *args, **kwargs)
        finally:
            _uncounted.active = outer

    return uncounted


def _install() -> None:
    send_message = _not_counting(SQSBackend.send_message)
    for name in COUNTS:
        setattr(Queue, name, _not_counted_in_a_send_or_receive(getattr(Queue, name)))
    send_message._does_not_count = True  # type: ignore[attr-defined]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]
    SQSBackend.receive_message = _not_counting(SQSBackend.receive_message)  # type: ignore[method-assign]
