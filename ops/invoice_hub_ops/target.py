"""Where the ops command works: a deployed stack's resources (from CloudFormation) or the local stack's.

A deployed stack is read with DescribeStacks (its outputs and parameters) and, for what an output does
not name, DescribeStackResources (logical id → physical id). The local stack (`make run`) is moto's
server on http://127.0.0.1:4566 (AWS_PORT changes the port), with the resources named as the local
provisioner names them: `<stack>-<logical id>` for tables, the template's `QueueName`s and
`UserPoolName`, with the stack name `invoice-hub-local`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any

from boto3 import Session
from botocore.config import Config

from invoice_hub.config import Settings

LOCAL_STACK_NAME = "invoice-hub-local"
LOCAL_REGION = "us-east-1"
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=20)


class TargetError(Exception):
    """The stack, or one of its resources, cannot be found (a message for the operator)."""


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class Target:
    description: str
    session: Session
    endpoint_url: str | None
    table_name: str
    user_pool_id: str
    send_queue_url: str
    send_dlq_url: str
    send_dlq_arn: str
    retry_backoff_seconds: int = field(default_factory=lambda: int(_default("retry_backoff_seconds")))
    max_redrive_rounds: int = field(default_factory=lambda: int(_default("max_redrive_rounds")))
    stuck_after_seconds: int = field(default_factory=lambda: int(_default("stuck_after_seconds")))

    def client(self, service: str) -> Any:
        return _client(self.session, service, self.endpoint_url)


def _client(session: Any, service: str, endpoint_url: str | None) -> Any:
    return session.client(service, endpoint_url=endpoint_url, config=CLIENT_CONFIG)


def local_endpoint() -> str:
    return f"http://127.0.0.1:{os.environ.get('AWS_PORT', '4566')}"


@functools.cache
def _local_session() -> Session:
    """One session for the local stack, in a process that builds several targets (the tests run the command
    in process): a session reads each service's model once, about a tenth of a second of CPU a service."""
    return Session(
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (moto takes any key; nothing leaves the machine)
        region_name=LOCAL_REGION,
    )


def local_target(endpoint_url: str | None = None, stack_name: str = LOCAL_STACK_NAME) -> Target:
    """The local stack's resources, found by name in moto (the stack must be running)."""
    endpoint = endpoint_url or local_endpoint()
    session = _local_session()
    sqs = _client(session, "sqs", endpoint)
    queue_url, dlq_url = (_queue_url(sqs, f"{stack_name}-{suffix}") for suffix in ("send", "send-dlq"))
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Target(
        description=f"the local stack at {endpoint}",
        session=session,
        endpoint_url=endpoint,
        table_name=f"{stack_name}-Table",
        user_pool_id=_user_pool(_client(session, "cognito-idp", endpoint), f"{stack_name}-users"),
        send_queue_url=queue_url,
        send_dlq_url=dlq_url,
        send_dlq_arn=dlq_arn,
    )


def _queue_url(sqs: Any, name: str) -> str:
    try:
        return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist as error:
        raise TargetError(f"the queue {name} does not exist there") from error


def _user_pool(cognito: Any, name: str) -> str:
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page.get("UserPools", []):
            if pool.get("Name") == name:
                return str(pool["Id"])
    raise TargetError(f"the user pool {name} does not exist there")


def stack_target(stack_name: str, region: str | None = None, profile: str | None = None) -> Target:
    """A deployed stack's resources, from its outputs, parameters and resources."""
    session = Session(profile_name=profile, region_name=region)
    cfn = _client(session, "cloudformation", None)
    stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    if not stacks:
        raise TargetError(f"no stack named {stack_name}")
    stack = stacks[0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    resources = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    }

    def find(output: str, logical: str) -> str:
        value = outputs.get(output) or resources.get(logical)
        if not value:
            raise TargetError(f"the stack {stack_name} has no output {output} nor a resource {logical}")
        return str(value)

    dlq_url = find("SendDLQUrl", "SendDLQ")
    dlq_arn = (
        outputs.get("SendDLQArn")
        or _client(session, "sqs", None).get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    )
    numbers = {
        "retry_backoff_seconds": parameters.get("RetryBackoffSeconds"),
        "max_redrive_rounds": parameters.get("MaxRedriveRounds"),
    }
    return Target(
        description=f"the stack {stack_name} ({session.region_name})",
        session=session,
        endpoint_url=None,
        table_name=find("TableName", "Table"),
        user_pool_id=find("UserPoolId", "UserPool"),
        send_queue_url=find("SendQueueUrl", "SendQueue"),
        send_dlq_url=dlq_url,
        send_dlq_arn=str(dlq_arn),
        **{name: int(value) for name, value in numbers.items() if value and value.isdigit()},
    )
