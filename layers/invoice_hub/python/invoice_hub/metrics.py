"""The sending metrics, as Powertools writes them: CloudWatch embedded metric format (EMF) on stdout.

- `Sends`: deliveries recorded SENT (a send, or an earlier send the external system confirmed);
- `SendFailures`: failed send attempts (rejected, transient, or the last receive's);
- `Redrives`: FAILED deliveries put back to work (retry-all, the schedule, a DLQ re-drive from the console).

Each is a Count in the namespace POWERTOOLS_METRICS_NAMESPACE (`InvoiceHub`, set in the template's Globals)
with the default dimension `service` (POWERTOOLS_SERVICE_NAME, `invoice-hub`); the dashboard reads these
names. Logic only counts (`count(SENDS)`): the counts are kept in this container, safely across the
Sender's threads, and written once per invocation as one EMF record by `flushed(handler)`, which wraps a
Lambda handler and writes nothing when nothing was counted. Powertools' Metrics is imported only when
there is something to write, so a function that never counts pays nothing for it at cold start.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable
from typing import Final, Literal, TypeVar

MetricName = Literal["Sends", "SendFailures", "Redrives"]
SENDS: Final = "Sends"
SEND_FAILURES: Final = "SendFailures"
REDRIVES: Final = "Redrives"

_lock = threading.Lock()
_counts: Counter[str] = Counter()

E = TypeVar("E")
C = TypeVar("C")
R = TypeVar("R")


def count(name: MetricName, value: int = 1) -> None:
    """Counts `value` more of `name` in this invocation (written by the handler's flush)."""
    if value <= 0:
        return
    with _lock:
        _counts[name] += value


def counted() -> dict[str, int]:
    """What has been counted and not yet written."""
    with _lock:
        return dict(_counts)


def flush() -> dict[str, int]:
    """Writes what was counted as one EMF record (each metric once, its value the invocation's total) and
    starts again from zero; writes nothing, and warns nothing, when nothing was counted."""
    with _lock:
        taken = dict(_counts)
        _counts.clear()
    if not taken:
        return taken
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics()
    for name, value in sorted(taken.items()):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()
    return taken


def flushed(handler: Callable[[E, C], R]) -> Callable[[E, C], R]:
    """The handler, with what it counted written once at the end of each invocation (also when it raised:
    the failures it counted happened)."""

    @functools.wraps(handler)
    def invoke(event: E, context: C) -> R:
        try:
            return handler(event, context)
        finally:
            flush()

    return invoke
