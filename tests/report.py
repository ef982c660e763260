"""What the hardening suites tried, printed at the end of the run (`make test` shows it in CI's log).

A suite calls `tried("idempotency", "50 concurrent POSTs, one key: 1 invoice, 50 identical answers")`;
the lines are grouped by suite in pytest's terminal summary, so the figures can be quoted from the log.
"""

from __future__ import annotations

from collections import defaultdict

LINES: defaultdict[str, list[str]] = defaultdict(list)


def tried(suite: str, line: str) -> None:
    LINES[suite].append(line)
