"""EventBridge schedules of the template, run locally: a timer that invokes the function with a
scheduled event (SQS event source mappings are served by `pollers.mapping_pollers`)."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from invoice_hub_local.lambda_runtime import invoke
from invoice_hub_local.provision import ACCOUNT, REGION, Resolved
from invoice_hub_local.template import FunctionSpec, Stack

log = logging.getLogger("invoice_hub_local.triggers")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int:
    """Seconds between runs of a `rate(...)` schedule (cron expressions are not run locally)."""
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"the local stack runs rate(...) schedules only, not {expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def scheduled_event(rule: str) -> dict[str, Any]:
    """The event EventBridge sends a function on a schedule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


@dataclass
class Schedule:
    rule: str
    function: FunctionSpec
    every_seconds: int

    def run_once(self) -> Any:
        return invoke(self.function, scheduled_event(self.rule))


class ScheduleRunner:
    def __init__(self, schedules: list[Schedule]) -> None:
        self.schedules = schedules
        self._stop = threading.Event()
        self._running = threading.Lock()  # held by a run, and by whoever pauses the schedule
        self._threads: list[threading.Thread] = []

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No scheduled run starts (and none is under way) until the block ends."""
        with self._running:
            yield

    def start(self) -> ScheduleRunner:
        for schedule in self.schedules:
            thread = threading.Thread(
                target=self._loop, args=(schedule,), name=f"schedule-{schedule.rule}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _loop(self, schedule: Schedule) -> None:
        while not self._stop.wait(schedule.every_seconds):
            try:
                with self._running:
                    schedule.run_once()
            except Exception:  # a failed run is logged and the next one goes ahead, as EventBridge does
                log.exception("scheduled run of %s failed", schedule.function.logical_id)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)


def install_pattern_rules(stack: Stack, resolved: Resolved, events: Any) -> list[str]:
    """The template's event-pattern rules, made in moto's EventBridge with their targets: what is put on the
    default bus (the local SES events) reaches the targets as on AWS. Returns the rules' names."""
    made = []
    for logical, rule in stack.resources("AWS::Events::Rule").items():
        props = rule["Properties"]
        if "EventPattern" not in props:
            continue
        pattern = json.dumps(resolved.resolve(props["EventPattern"]))
        events.put_rule(Name=logical, EventPattern=pattern, State="ENABLED")
        targets = []
        for target in props.get("Targets", []):
            made_target = {"Id": target["Id"], "Arn": str(resolved.resolve(target["Arn"]))}
            if "InputTransformer" in target:  # what reaches the target: only what the template keeps
                made_target["InputTransformer"] = resolved.resolve(target["InputTransformer"])
            targets.append(made_target)
        events.put_targets(Rule=logical, Targets=targets)
        made.append(logical)
    return made


def schedules(stack: Stack, resolved: Resolved) -> list[Schedule]:
    found: list[Schedule] = []
    for logical, rule in stack.resources("AWS::Events::Rule").items():
        props = rule["Properties"]
        if "ScheduleExpression" not in props:
            continue  # an event-pattern rule: install_pattern_rules
        expression = str(resolved.resolve(props["ScheduleExpression"]))
        for target in props.get("Targets", []):
            function = stack.functions[target["Arn"]["Fn::GetAtt"][0]]
            found.append(Schedule(rule=logical, function=function, every_seconds=rate_seconds(expression)))
    return found
