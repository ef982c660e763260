"""The project's own template checks: the template passes each, and a copy broken on purpose fails it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.report import tried
from tests.template.checks import CHECKS, Template

Fault = Callable[[dict[str, Any]], None]
CAUGHT: set[str] = set()  # the faults their check reported in this run


def props(sam: dict[str, Any], logical: str) -> dict[str, Any]:
    properties: dict[str, Any] = sam["Resources"][logical]["Properties"]
    return properties


def statements(sam: dict[str, Any], logical: str) -> list[dict[str, Any]]:
    policies = props(sam, logical).setdefault("Policies", [{"Version": "2012-10-17", "Statement": []}])
    found: list[dict[str, Any]] = policies[0]["Statement"]
    return found


def allow(logical: str, action: str, resource: Any = "*") -> Fault:
    return lambda sam: statements(sam, logical).append(
        {"Effect": "Allow", "Action": [action], "Resource": resource}
    )


def set_prop(logical: str, name: str, value: Any) -> Fault:
    return lambda sam: props(sam, logical).__setitem__(name, value)


def drop_prop(logical: str, *path: str) -> Fault:
    def fault(sam: dict[str, Any]) -> None:
        node = props(sam, logical)
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return fault


def sender_mapping(sam: dict[str, Any]) -> dict[str, Any]:
    mapping: dict[str, Any] = props(sam, "SenderFunction")["Events"]["SendQueue"]["Properties"]
    return mapping


def drop_move_task(sam: dict[str, Any]) -> None:
    for statement in statements(sam, "HealthbridgeRetryAllFailedFunction"):
        statement["Action"] = [a for a in statement["Action"] if a != "sqs:StartMessageMoveTask"]


def sse_sqs_on_the_dlq(sam: dict[str, Any]) -> None:
    del props(sam, "SendDLQ")["KmsMasterKeyId"]
    props(sam, "SendDLQ")["SqsManagedSseEnabled"] = True


def dashboard_edit(old: str, new: str) -> Fault:
    def fault(sam: dict[str, Any]) -> None:
        body = props(sam, "Dashboard")["DashboardBody"]
        assert old in body["Fn::Sub"], old
        body["Fn::Sub"] = body["Fn::Sub"].replace(old, new, 1)

    return fault


# (what is broken, the fault, the check that must report it)
FAULTS: list[tuple[str, Fault, str]] = [
    (
        "SendQueue visibility below 6x the Sender's timeout",
        set_prop("SendQueue", "VisibilityTimeout", 60),
        "visibility_covers_consumers",
    ),
    (
        "Sender timeout raised past the queue's visibility / 6",
        set_prop("SenderFunction", "Timeout", 60),
        "visibility_covers_consumers",
    ),
    (
        "maxReceiveCount parameter default 3",
        lambda sam: sam["Parameters"]["MaxReceiveCount"].update(Default=3),
        "receives_before_dead_letter",
    ),
    (
        "maxReceiveCount parameter floor removed",
        lambda sam: sam["Parameters"]["MaxReceiveCount"].pop("MinValue"),
        "receives_before_dead_letter",
    ),
    (
        "maxReceiveCount literal 2",
        lambda sam: props(sam, "SendQueue")["RedrivePolicy"].update(maxReceiveCount=2),
        "receives_before_dead_letter",
    ),
    (
        "DLQ keeps messages as long as SendQueue",
        set_prop("SendDLQ", "MessageRetentionPeriod", 345600),
        "dead_letters_outlive_their_source",
    ),
    (
        "DLQ retention left at SQS's default (4 days)",
        drop_prop("SendDLQ", "MessageRetentionPeriod"),
        "dead_letters_outlive_their_source",
    ),
    (
        "mapping without ReportBatchItemFailures",
        lambda sam: sender_mapping(sam).pop("FunctionResponseTypes"),
        "mappings_report_failures_and_bound_concurrency",
    ),
    (
        "mapping without MaximumConcurrency",
        lambda sam: sender_mapping(sam).pop("ScalingConfig"),
        "mappings_report_failures_and_bound_concurrency",
    ),
    (
        "the Sender may start move tasks",
        allow("SenderFunction", "sqs:StartMessageMoveTask"),
        "move_tasks_only_on_redrivers",
    ),
    ("the schedule gets sqs:*", allow("ScheduledRetryFunction", "sqs:*"), "move_tasks_only_on_redrivers"),
    ("retry-all loses its move task", drop_move_task, "move_tasks_only_on_redrivers"),
    (
        "GET /invoice/{id} may PutItem",
        allow("InvoiceGetFunction", "dynamodb:PutItem"),
        "read_only_functions_only_read",
    ),
    (
        "GET /invoice gets DynamoDBCrudPolicy",
        lambda sam: props(sam, "InvoiceListFunction")["Policies"].append(
            {"DynamoDBCrudPolicy": {"TableName": {"Ref": "Table"}}}
        ),
        "read_only_functions_only_read",
    ),
    (
        "a GET function may Scan",
        allow("HealthbridgeFailedFunction", "dynamodb:Scan"),
        "read_only_functions_only_read",
    ),
    (
        "table on the AWS-owned key",
        set_prop("Table", "SSESpecification", {"SSEEnabled": True}),
        "encrypted_with_the_customer_managed_key",
    ),
    (
        "idempotency table on alias/aws/dynamodb",
        lambda sam: props(sam, "IdempotencyTable")["SSESpecification"].update(
            KMSMasterKeyId="alias/aws/dynamodb"
        ),
        "encrypted_with_the_customer_managed_key",
    ),
    (
        "SendQueue on alias/aws/sqs",
        set_prop("SendQueue", "KmsMasterKeyId", "alias/aws/sqs"),
        "encrypted_with_the_customer_managed_key",
    ),
    (
        "SendDLQ back on SSE-SQS",
        sse_sqs_on_the_dlq,
        "encrypted_with_the_customer_managed_key",
    ),
    (
        "alarm topic on alias/aws/sns",
        set_prop("AlarmTopic", "KmsMasterKeyId", "alias/aws/sns"),
        "encrypted_with_the_customer_managed_key",
    ),
    (
        "key rotation off",
        set_prop("EncryptionKey", "EnableKeyRotation", False),
        "encrypted_with_the_customer_managed_key",
    ),
    (
        "a log group without retention",
        drop_prop("SenderLogGroup", "RetentionInDays"),
        "every_log_group_has_retention",
    ),
    (
        "a function without its log group",
        drop_prop("InvoiceCreateFunction", "LoggingConfig"),
        "every_log_group_has_retention",
    ),
    ("the API without access logs", drop_prop("Api", "AccessLogSettings"), "every_log_group_has_retention"),
    (
        "a keyed route that leaves out Authorizer: NONE, with no default authorizer",
        lambda sam: props(sam, "Api")["Auth"].pop("DefaultAuthorizer"),
        "every_route_declares_its_authentication",
    ),
    (
        "a route naming an authorizer the API lacks",
        lambda sam: props(sam, "DecodaCreateFunction")["Events"]["Api"]["Properties"]["Auth"].update(
            Authorizer="KeyAuthorizer"
        ),
        "every_route_declares_its_authentication",
    ),
    (
        "a route on payload format 2.0",
        lambda sam: props(sam, "InvoiceGetFunction")["Events"]["Api"]["Properties"].update(
            PayloadFormatVersion="2.0"
        ),
        "every_route_declares_its_authentication",
    ),
    (
        "a REST Api event again",
        lambda sam: props(sam, "InvoiceGetFunction")["Events"]["Api"].update(Type="Api"),
        "every_route_declares_its_authentication",
    ),
    (
        "GET /invoice/ left without its greedy route",
        lambda sam: props(sam, "InvoiceListFunction")["Events"].pop("ApiSlash"),
        "slash_ended_paths_have_their_greedy_route",
    ),
    (
        "POST /invoice/'s greedy route open while /invoice takes a token",
        lambda sam: props(sam, "InvoiceCreateFunction")["Events"]["ApiSlash"]["Properties"].update(
            Auth={"Authorizer": "NONE"}
        ),
        "slash_ended_paths_have_their_greedy_route",
    ),
    (
        "a greedy route on another function than its bare path's",
        lambda sam: props(sam, "InvoiceGetFunction")["Events"].update(
            ApiSlash=props(sam, "InvoiceListFunction")["Events"].pop("ApiSlash")
        ),
        "slash_ended_paths_have_their_greedy_route",
    ),
    (
        "a greedy route of its own",
        lambda sam: props(sam, "InvoiceGetFunction")["Events"]["Api"]["Properties"].update(
            Path="/invoice/{id}/{proxy+}"
        ),
        "slash_ended_paths_have_their_greedy_route",
    ),
    (
        "an API function waits 30 s",
        set_prop("InvoiceCreateFunction", "Timeout", 30),
        "api_functions_time_out_before_api_gateway",
    ),
    ("dashboard JSON broken", dashboard_edit('"widgets": [', '"widgets": [,'), "dashboard_shows_the_service"),
    (
        "dashboard names a resource the template lacks",
        dashboard_edit("${SendDLQ.QueueName}", "${DeadQueue.QueueName}"),
        "dashboard_shows_the_service",
    ),
    (
        "a function missing from the dashboard",
        dashboard_edit(
            '"${InvoiceGetFunction}", {"label": "InvoiceGet"}]', '"${InvoiceListFunction}", {"label": "x"}]'
        ),
        "dashboard_shows_the_service",
    ),
    (
        "a Powertools metric misnamed",
        dashboard_edit('"SendFailures", "service"', '"SendFailure", "service"'),
        "dashboard_shows_the_service",
    ),
    (
        "the DLQ's depth missing",
        dashboard_edit(
            '"ApproximateNumberOfMessagesVisible", "QueueName", "${SendDLQ',
            '"NumberOfMessagesSent", "QueueName", "${SendDLQ',
        ),
        "dashboard_shows_the_service",
    ),
    (
        "no dashboard URL in the outputs",
        lambda sam: sam["Outputs"].pop("DashboardUrl"),
        "dashboard_shows_the_service",
    ),
]


def test_the_template_passes_every_project_check(template: Template) -> None:
    results = {name: check(template) for name, check in CHECKS.items()}
    problems = [problem for result in results.values() for problem in result.problems]
    assert problems == []
    resources = template.sam["Resources"]
    tried(
        "template",
        f"{len(CHECKS)} project checks, {sum(r.checked for r in results.values())} items over "
        f"{len(resources)} resources ({len(template.functions)} functions, "
        f"{len(template.resources('AWS::Logs::LogGroup'))} log groups): 0 problems",
    )


@pytest.mark.parametrize(("fault", "breaks", "check"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_broken_template_fails_its_check(
    broken: Callable[[Fault], Template], fault: str, breaks: Fault, check: str
) -> None:
    result = CHECKS[check](broken(breaks))
    assert result.problems, f"{check} did not notice: {fault}"
    CAUGHT.add(fault)


def test_every_check_is_shown_to_fail() -> None:
    assert {check for _, _, check in FAULTS} == set(CHECKS)
    tried(
        "template", f"{len(FAULTS)} broken copies over {len(CHECKS)} checks: {len(CAUGHT)} caught in this run"
    )
