"""Fixtures of the ops command's tests: the command run in-process against the session's local stack."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from invoice_hub_local.stack import LocalStack
from invoice_hub_ops.cli import main


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def error(self) -> str:
        """The command's one error line (stderr may also hold the local stack's threads' logging)."""
        found = [line for line in self.err.splitlines() if line.startswith("error: ")]
        assert len(found) == 1, self.err
        return found[0]

    def line(self, starting: str) -> str:
        """The one output line that starts with `starting`."""
        found = [line for line in self.out.splitlines() if line.startswith(starting)]
        assert len(found) == 1, self.out
        return found[0]


@pytest.fixture
def ops(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """`ops("tenant", "list")` runs `python -m invoice_hub_ops --local --endpoint-url <moto> tenant list`."""

    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = main(["--local", "--endpoint-url", stack.aws_endpoint, *argv])
        captured = capsys.readouterr()
        return Run(code, _without_metrics(captured.out), captured.err)

    return run


def _without_metrics(out: str) -> str:
    """The command's own output. The local stack's functions run in this process, and a function that
    flushes its Powertools metrics prints them on stdout (CloudWatch's embedded metric format, one JSON
    line); on AWS those lines go to the function's log, never to an operator's terminal."""
    return "".join(line for line in out.splitlines(keepends=True) if not line.startswith('{"_aws"'))


@pytest.fixture
def slug() -> str:
    return f"ops-{uuid.uuid4().hex[:10]}"
