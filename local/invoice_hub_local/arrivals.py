"""What ends a local poller's wait: the long poll of Lambda's event source mappings, played in-process.

On AWS, Lambda's pollers long-poll: a ReceiveMessage waits up to 20 s and returns as soon as a message is
there, and a stream's poller reads again as soon as a record is written. Locally, a waiting ReceiveMessage
would hold moto's one-request-at-a-time server (aws.py), so the pollers short-poll; sleeping a fixed
0.2 s between empty reads made every idle poller ask moto five times a second (a tenth of the test run's
CPU went to empty reads) and still delayed every message by up to 0.2 s.

Here a poller with nothing to read waits on an `Arrivals`: moto itself wakes it when a message is sent to
its queue (or a visibility changes), or a record is written to its table's stream; it also wakes when
the next message in flight or delayed becomes visible, and at the latest after `LONGEST` seconds. moto
runs in the same process (the local stack's server thread), so the wake-up is the moment of the write.

`install()` is called by the local stack before moto's server starts; it is idempotent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models.table import StreamShard
from moto.sqs.models import Queue, SQSBackend, sqs_backends

from invoice_hub_local.sqs_move_tasks import BACKEND_LOCK

#: the longest an idle poller waits without a wake-up (a safety net: every change that makes something
#: readable wakes it sooner)
LONGEST = 1.0
_install_lock = threading.Lock()
_watching: dict[tuple[str, str], set[Arrivals]] = {}
_watching_lock = threading.Lock()


class Arrivals:
    """One waiting poller's alarm: set by a write to what it reads, or by `wake()` (a poller stopping)."""

    def __init__(self, kind: str, name: str, next_due: Callable[[], float | None] | None = None) -> None:
        self._key = (kind, name)
        self._next_due = next_due
        self._event = threading.Event()
        with _watching_lock:
            _watching.setdefault(self._key, set()).add(self)

    def wake(self) -> None:
        self._event.set()

    def wait(self) -> None:
        """Until something arrives, the next message becomes visible, or LONGEST seconds."""
        due = self._next_due() if self._next_due else None
        self._event.wait(LONGEST if due is None else max(0.0, min(LONGEST, due)))
        self._event.clear()

    def close(self) -> None:
        with _watching_lock:
            _watching.get(self._key, set()).discard(self)


def wake(kind: str, name: str) -> None:
    with _watching_lock:
        waiting = list(_watching.get((kind, name), ()))
    for arrivals in waiting:
        arrivals.wake()


def queue(account: str, region: str, name: str) -> Arrivals:
    """The alarm of a poller of moto's queue `name`."""

    def next_due() -> float | None:
        with BACKEND_LOCK:
            found = sqs_backends[account][region].queues.get(name)
            if found is None:
                return None
            moments = [m.visible_at for m in found._messages if not m.visible]
            moments += [m.delayed_until for m in found._messages if m.delayed]
        return (min(moments) / 1000 - time.time()) if moments else None

    return Arrivals("sqs", name, next_due)


def stream(table_name: str) -> Arrivals:
    """The alarm of a poller of the stream of moto's table `table_name`."""
    return Arrivals("dynamodb-stream", table_name)


def install() -> None:
    with _install_lock:
        if not getattr(Queue.add_message, "_wakes", False):
            _install()


def _install() -> None:
    moto_add_message = Queue.add_message
    moto_change_visibility = SQSBackend.change_message_visibility
    moto_stream_add = StreamShard.add

    def add_message(self: Queue, *args: Any, **kwargs: Any) -> None:
        moto_add_message(self, *args, **kwargs)
        wake("sqs", self.name)

    def change_message_visibility(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> None:
        moto_change_visibility(self, queue_name, *args, **kwargs)
        wake("sqs", queue_name)

    def stream_add(self: StreamShard, *args: Any, **kwargs: Any) -> None:
        moto_stream_add(self, *args, **kwargs)
        wake("dynamodb-stream", self.table.name)

    add_message._wakes = True  # type: ignore[attr-defined]
    Queue.add_message = add_message  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = change_message_visibility  # type: ignore[method-assign]
    StreamShard.add = stream_add  # type: ignore[method-assign]
