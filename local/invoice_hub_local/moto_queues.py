"""SQS's SendMessage in moto, without counting the queue.

moto's SendMessage reads one attribute of the queue (ContentBasedDeduplication) through the property that
builds all of them, and three of those (ApproximateNumberOfMessages, ...Delayed, ...NotVisible) walk every
message of the queue. So each message sent to a queue of 10,000 costs three walks of 10,000, and a
retry-all that puts 500 sends back on a full queue takes seconds that SQS, which does not count a queue to
take a message, never takes.

Here, inside a SendMessage (and each entry of a SendMessageBatch), those three counts are not computed:
the attribute moto reads is the same, and the counts were never part of a send's answer. Everywhere else
(GetQueueAttributes, the console's and the ops command's queue depths) they are counted as before.

`install()` is called by the local stack before moto's server starts; it is idempotent.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.sqs.models import Queue, SQSBackend

COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)
_install_lock = threading.Lock()
_sending = threading.local()


def _not_counted_while_sending(count: property) -> property:
    def fget(queue: Queue) -> int | None:
        if getattr(_sending, "active", False):
            return None  # built into the attributes a send reads one other value of, and thrown away
        value: int = count.fget(queue)  # type: ignore[misc]  # moto's property always has a getter
        return value

    return property(fget)


def install() -> None:
    with _install_lock:
        if not getattr(SQSBackend.send_message, "_does_not_count", False):
            _install()


def _install() -> None:
    moto_send_message = SQSBackend.send_message

    def send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(_sending, "active", False)
        _sending.active = True
        try:
            return moto_send_message(self, *args, **kwargs)
        finally:
            _sending.active = outer

    for name in COUNTS:
        setattr(Queue, name, _not_counted_while_sending(getattr(Queue, name)))
    send_message._does_not_count = True  # type: ignore[attr-defined]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]
