"""How the ops command finds a deployed stack's resources: CloudFormation's answers (stubbed, no network)
become the table, queues and user pool it works on; what an output does not name comes from the stack's
resources; a stack that does not exist is one clear line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from invoice_hub_ops import target as target_module
from invoice_hub_ops.cli import main

STACK = "invoice-hub-prod"
DLQ_URL = "https://sqs.eu-west-1.amazonaws.com/111122223333/invoice-hub-prod-send-dlq"


class StubbedSession:
    """Stands in for boto3.Session: clients whose answers are queued on Stubbers."""

    def __init__(self, profile_name: str | None = None, region_name: str | None = None, **_: Any) -> None:
        self.region_name = region_name or "eu-west-1"
        self.profile_name = profile_name
        self.stubbers: dict[str, Stubber] = {}
        for service in ("cloudformation", "sqs"):
            client = boto3.session.Session().client(
                service, region_name=self.region_name, aws_access_key_id="x", aws_secret_access_key="x"
            )
            self.stubbers[service] = Stubber(client)

    def client(self, service: str, **_: Any) -> Any:
        return self.stubbers[service].client


@dataclass
class Stubs:
    answers: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # service, operation, answer
    sessions: list[StubbedSession] = field(default_factory=list)


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> Stubs:
    """boto3.Session in the target module makes sessions whose clients give `answers`, in order."""
    stubs = Stubs()

    def make(**kwargs: Any) -> StubbedSession:
        session = StubbedSession(**kwargs)
        for service, operation, response in stubs.answers:
            session.stubbers[service].add_response(operation, response)
        for stubber in session.stubbers.values():
            stubber.activate()
        stubs.sessions.append(session)
        return session

    monkeypatch.setattr(target_module, "Session", make)
    return stubs


def stack_answer(outputs: dict[str, str], parameters: dict[str, str]) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "CreationTime": "2026-11-01T00:00:00Z",
                "StackStatus": "UPDATE_COMPLETE",
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            }
        ]
    }


def resources_answer(physical: dict[str, str]) -> dict[str, Any]:
    return {
        "StackResources": [
            {
                "LogicalResourceId": logical,
                "PhysicalResourceId": value,
                "ResourceType": "AWS::Test::Thing",
                "Timestamp": "2026-11-01T00:00:00Z",
                "ResourceStatus": "CREATE_COMPLETE",
            }
            for logical, value in physical.items()
        ]
    }


def test_outputs_name_the_resources_and_parameters_the_retry_policy(stubs: Stubs) -> None:
    stubs.answers[:] = [
        (
            "cloudformation",
            "describe_stacks",
            stack_answer(
                {
                    "TableName": "prod-table",
                    "UserPoolId": "eu-west-1_pool",
                    "SendQueueUrl": DLQ_URL.replace("-dlq", ""),
                    "SendDLQUrl": DLQ_URL,
                    "SendDLQArn": "arn:aws:sqs:eu-west-1:111122223333:invoice-hub-prod-send-dlq",
                },
                {"RetryBackoffSeconds": "600", "MaxRedriveRounds": "4", "Stage": "prod"},
            ),
        ),
        ("cloudformation", "describe_stack_resources", resources_answer({"Table": "ignored-table"})),
    ]
    found = target_module.stack_target(STACK, region="eu-west-1", profile="ops")
    assert (found.table_name, found.user_pool_id) == ("prod-table", "eu-west-1_pool")
    assert found.send_dlq_arn.endswith(":invoice-hub-prod-send-dlq")
    assert (found.retry_backoff_seconds, found.max_redrive_rounds) == (600, 4)
    assert found.endpoint_url is None
    assert stubs.sessions[0].profile_name == "ops"


def test_without_outputs_the_resources_and_the_queue_name_the_rest(stubs: Stubs) -> None:
    stubs.answers[:] = [
        ("cloudformation", "describe_stacks", stack_answer({}, {})),
        (
            "cloudformation",
            "describe_stack_resources",
            resources_answer(
                {
                    "Table": "prod-table",
                    "UserPool": "eu-west-1_pool",
                    "SendQueue": DLQ_URL.replace("-dlq", ""),
                    "SendDLQ": DLQ_URL,
                }
            ),
        ),
        ("sqs", "get_queue_attributes", {"Attributes": {"QueueArn": "arn:aws:sqs:eu-west-1:1:dlq"}}),
    ]
    found = target_module.stack_target(STACK)
    assert (found.table_name, found.send_dlq_url, found.send_dlq_arn) == (
        "prod-table",
        DLQ_URL,
        "arn:aws:sqs:eu-west-1:1:dlq",
    )
    assert found.max_redrive_rounds == 3  # the template's default when the stack does not say


def test_a_stack_that_does_not_exist_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def make(**kwargs: Any) -> StubbedSession:
        session = StubbedSession(**kwargs)
        session.stubbers["cloudformation"].add_client_error(
            "describe_stacks", "ValidationError", "Stack with id nope does not exist", 400
        )
        session.stubbers["cloudformation"].activate()
        return session

    monkeypatch.setattr(target_module, "Session", make)
    assert main(["--stack", "nope", "tenant", "list"]) == 1
    assert (
        "error: AWS answered ValidationError: Stack with id nope does not exist\n" in capsys.readouterr().err
    )


def test_an_unknown_profile_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    assert main(["--stack", STACK, "--profile", "nobody", "failed"]) == 1
    assert "error: AWS credentials: The config profile (nobody) could not be found" in capsys.readouterr().err
