"""The project's own rules for template.yaml, which no public rule set covers (issue 5, "Template checks").

Each check reads a `Template` (the SAM template as written, and where SAM adds what matters, such as
roles and event source mappings, its translated CloudFormation) and returns what it looked at and what
is wrong. The tests run every check on the real template, and on broken copies to show each can fail.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from invoice_hub_local.openapi import DOCUMENT
from invoice_hub_local.template import parameter_values, translate_sam

SQS_DEFAULT_VISIBILITY = 30
SQS_DEFAULT_RETENTION = 345_600
LAMBDA_DEFAULT_TIMEOUT = 3
API_GATEWAY_TIMEOUT = 29
MIN_RECEIVES = 5
VISIBILITY_FACTOR = 6
# The functions that re-drive SendDLQ with StartMessageMoveTask. The schedule re-drives too, but by
# enqueueing fresh messages for FAILED deliveries (invoice_hub.logic.redrive.run_schedule): it needs no
# move task. People re-drive from the console or the ops command with their own credentials.
REDRIVERS = frozenset({"HealthbridgeRetryAllFailedFunction"})
MOVE_TASK = "sqs:StartMessageMoveTask"
# What a read-only (GET) function may do: read the table by key or index (no Scan on a request path),
# decrypt, read its parameters.
READ_ONLY = re.compile(
    r"^(dynamodb:(GetItem|BatchGetItem|Query|DescribeTable|ConditionCheckItem)"
    r"|kms:Decrypt|kms:DescribeKey|ssm:GetParameters?|sqs:GetQueue(Attributes|Url)|s3:GetObject|s3:ListBucket)$"
)
# GET functions that answer with an invoice's document render it on the first ask and keep the render (a
# cache of what the table says): they may also put objects (with the key's data keys, for S3), and invoke the
# render function that renders it (it writes nothing: decision 029).
RENDERERS = frozenset({"InvoicePdfFunction", "DecodaGetFunction"})
RENDER_WRITES = frozenset({"s3:PutObject", "kms:GenerateDataKey", "lambda:InvokeFunction"})
# Decoda documents its webhook event resend as a GET (`/v1/webhook/events/{id}/send`): that function sends, so
# it may write what a send writes (the send's state, its next message, the failure notice) and nothing else.
SENDING_GETS = frozenset({"DecodaWebhookEventSendFunction"})
SEND_WRITES = frozenset({"dynamodb:PutItem", "kms:GenerateDataKey", "ses:SendEmail", "sqs:SendMessage"})
BASIC_MANAGED = ("AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSXRayDaemonWriteAccess")
PSEUDO = frozenset({"AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition", "AWS::URLSuffix"})


@dataclass
class Result:
    checked: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Template:
    sam: dict[str, Any]

    @cached_property
    def cfn(self) -> dict[str, Any]:
        """The SAM-translated CloudFormation (the template itself is left as it was)."""
        return translate_sam(copy.deepcopy(self.sam), parameter_values(self.sam))

    def resources(self, resource_type: str, cfn: bool = False) -> dict[str, dict[str, Any]]:
        template = self.cfn if cfn else self.sam
        return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        return self.resources("AWS::Serverless::Function")

    def function_setting(self, logical: str, name: str, default: Any = None) -> Any:
        props = self.sam["Resources"][logical].get("Properties", {})
        globals_ = self.sam.get("Globals", {}).get("Function", {})
        return props.get(name, globals_.get(name, default))

    def number(self, value: Any) -> int:
        """A literal, or a parameter's default."""
        if isinstance(value, dict) and "Ref" in value:
            return int(self.sam["Parameters"][value["Ref"]]["Default"])
        return int(value)

    def events(self, logical: str, event_type: str) -> Iterator[dict[str, Any]]:
        for event in self.sam["Resources"][logical].get("Properties", {}).get("Events", {}).values():
            if event.get("Type") == event_type:
                yield event.get("Properties", {})

    def api_functions(self) -> dict[str, list[str]]:
        """Functions behind the API, with the methods they answer."""
        return {
            logical: [str(e.get("Method", "")).lower() for e in self.events(logical, "HttpApi")]
            for logical in self.functions
            if any(True for _ in self.events(logical, "HttpApi"))
        }

    def target(self, value: Any) -> str | None:
        """The logical id a Ref / GetAtt / ${X} Sub points at."""
        if isinstance(value, dict):
            if "Ref" in value:
                return str(value["Ref"])
            if "Fn::GetAtt" in value:
                att = value["Fn::GetAtt"]
                return str(att[0] if isinstance(att, list) else att.split(".")[0])
        return None

    def is_key(self, value: Any) -> bool:
        """A reference to a customer-managed key of this template (the key, or an alias of it)."""
        logical = self.target(value)
        resource = self.sam["Resources"].get(logical or "", {})
        if resource.get("Type") == "AWS::KMS::Key":
            return True
        if resource.get("Type") == "AWS::KMS::Alias":
            return self.is_key(resource["Properties"].get("TargetKeyId"))
        return False

    def role_of(self, function: str) -> dict[str, Any]:
        """The translated function's execution role."""
        role = self.cfn["Resources"][function]["Properties"]["Role"]
        return dict(self.cfn["Resources"][self.target(role) or ""])

    def allowed_actions(self, function: str) -> list[str]:
        actions: list[str] = []
        for policy in self.role_of(function)["Properties"].get("Policies", []):
            statements = policy["PolicyDocument"]["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                if statement.get("Effect") == "Allow":
                    action = statement.get("Action", [])
                    actions += [action] if isinstance(action, str) else action
        return actions


def _can(actions: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions)


# -- sending -----------------------------------------------------------------------------------------
def visibility_covers_consumers(t: Template) -> Result:
    """A queue's visibility timeout is at least six times its consumer's timeout (AWS's advice), so a
    message is not handed to a second Sender while the first still works on it."""
    result = Result()
    for logical in t.functions:
        timeout = t.number(t.function_setting(logical, "Timeout", LAMBDA_DEFAULT_TIMEOUT))
        for event in t.events(logical, "SQS"):
            queue = t.target(event["Queue"]) or ""
            visibility = t.number(
                t.sam["Resources"][queue]["Properties"].get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY)
            )
            result.checked += 1
            if visibility < VISIBILITY_FACTOR * timeout:
                result.problems.append(
                    f"{queue}: visibility {visibility} s < {VISIBILITY_FACTOR} x {logical}'s {timeout} s"
                )
    if not result.checked:
        result.problems.append("no function consumes a queue")
    return result


def _redrive_policies(t: Template) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for logical, queue in t.resources("AWS::SQS::Queue").items():
        policy = queue["Properties"].get("RedrivePolicy")
        if policy:
            yield logical, queue["Properties"], policy


def receives_before_dead_letter(t: Template) -> Result:
    """maxReceiveCount >= 5, also as the floor of the parameter that sets it (a deploy cannot lower it)."""
    result = Result()
    for logical, _, policy in _redrive_policies(t):
        result.checked += 1
        value = policy.get("maxReceiveCount")
        if value is None or t.number(value) < MIN_RECEIVES:
            shown = value if value is None else t.number(value)
            result.problems.append(f"{logical}: maxReceiveCount {shown} < {MIN_RECEIVES}")
        elif isinstance(value, dict):
            floor = t.sam["Parameters"][value["Ref"]].get("MinValue")
            if floor is None or int(floor) < MIN_RECEIVES:
                result.problems.append(f"{logical}: parameter {value['Ref']} may go below {MIN_RECEIVES}")
    if not result.checked:
        result.problems.append("no queue has a dead-letter queue")
    return result


def dead_letters_outlive_their_source(t: Template) -> Result:
    """A dead-letter queue keeps messages longer than its source, so a failure is there to re-drive."""
    result = Result()
    for logical, props, policy in _redrive_policies(t):
        dlq = t.target(policy["deadLetterTargetArn"]) or ""
        kept = t.number(props.get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION))
        dlq_kept = t.number(
            t.sam["Resources"][dlq]["Properties"].get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION)
        )
        result.checked += 1
        if dlq_kept <= kept:
            result.problems.append(f"{dlq} keeps messages {dlq_kept} s, not longer than {logical}'s {kept} s")
    return result


def mappings_report_failures_and_bound_concurrency(t: Template) -> Result:
    """Every SQS event source mapping reports partial batch failures and caps its concurrency."""
    result = Result()
    queues = set(t.resources("AWS::SQS::Queue"))
    for logical, mapping in t.resources("AWS::Lambda::EventSourceMapping", cfn=True).items():
        props = mapping["Properties"]
        if t.target(props.get("EventSourceArn")) not in queues:
            continue
        result.checked += 1
        if "ReportBatchItemFailures" not in props.get("FunctionResponseTypes", []):
            result.problems.append(f"{logical}: no ReportBatchItemFailures")
        if not props.get("ScalingConfig", {}).get("MaximumConcurrency"):
            result.problems.append(f"{logical}: no ScalingConfig.MaximumConcurrency")
    if not result.checked:
        result.problems.append("no SQS event source mapping")
    return result


# -- permissions -------------------------------------------------------------------------------------
def move_tasks_only_on_redrivers(t: Template) -> Result:
    """sqs:StartMessageMoveTask (alone or through a wildcard) only on the functions that re-drive, and
    on each of them."""
    result = Result()
    for logical in t.resources("AWS::Lambda::Function", cfn=True):
        result.checked += 1
        can = _can(t.allowed_actions(logical), MOVE_TASK)
        if can and logical not in REDRIVERS:
            result.problems.append(f"{logical} may start DLQ move tasks")
        if not can and logical in REDRIVERS:
            result.problems.append(f"{logical} re-drives the DLQ but may not start a move task")
    return result


def read_only_functions_only_read(t: Template) -> Result:
    """A GET function's role only reads: no write action, no CRUD / write policy template, no managed
    policy beyond logging and tracing."""
    result = Result()
    for logical, methods in t.api_functions().items():
        if set(methods) != {"get"}:
            continue
        result.checked += 1
        for policy in t.sam["Resources"][logical]["Properties"].get("Policies", []):
            names = [policy] if isinstance(policy, str) else list(policy) if isinstance(policy, dict) else []
            for name in names:
                if re.search(r"Crud|Write|FullAccess", name):
                    result.problems.append(f"{logical} (GET) has the policy {name}")
        allowed = (
            RENDER_WRITES if logical in RENDERERS else SEND_WRITES if logical in SENDING_GETS else frozenset()
        )
        writes = sorted(
            {a for a in t.allowed_actions(logical) if not READ_ONLY.match(a) and a not in allowed}
        )
        if writes:
            result.problems.append(f"{logical} (GET) may {', '.join(writes)}")
        for arn in t.role_of(logical)["Properties"].get("ManagedPolicyArns", []):
            text = json.dumps(arn)
            if not any(name in text for name in BASIC_MANAGED):
                result.problems.append(f"{logical} (GET) has the managed policy {text}")
    if not result.checked:
        result.problems.append("no GET function")
    return result


# -- encryption, logs, timeouts ----------------------------------------------------------------------
def encrypted_with_the_customer_managed_key(t: Template) -> Result:
    """Tables, queues, topics and log groups use a KMS key of this template, and every such key rotates."""
    result = Result()
    for logical, table in t.resources("AWS::DynamoDB::Table").items():
        sse = table["Properties"].get("SSESpecification", {})
        result.checked += 1
        if not (
            sse.get("SSEEnabled") is True
            and sse.get("SSEType") == "KMS"
            and t.is_key(sse.get("KMSMasterKeyId"))
        ):
            result.problems.append(f"{logical}: not encrypted with the template's KMS key")
    for resource_type, prop in (
        ("AWS::SQS::Queue", "KmsMasterKeyId"),
        ("AWS::SNS::Topic", "KmsMasterKeyId"),
        ("AWS::Logs::LogGroup", "KmsKeyId"),
    ):
        for logical, resource in t.resources(resource_type).items():
            result.checked += 1
            if not t.is_key(resource["Properties"].get(prop)):
                result.problems.append(f"{logical}: {prop} is not the template's KMS key")
            if resource["Properties"].get("SqsManagedSseEnabled"):
                result.problems.append(f"{logical}: SQS-managed encryption instead of the key")
    keys = t.resources("AWS::KMS::Key")
    for logical, key in keys.items():
        result.checked += 1
        if key["Properties"].get("EnableKeyRotation") is not True:
            result.problems.append(f"{logical}: key rotation is off")
    if not keys:
        result.problems.append("no customer-managed KMS key")
    return result


def every_log_group_has_retention(t: Template) -> Result:
    """Every log group keeps logs for a bounded time, every function logs to one of them (not to a group
    Lambda would create without retention), and so does the API stage's access log."""
    result = Result()
    groups = t.resources("AWS::Logs::LogGroup")
    for logical, group in groups.items():
        result.checked += 1
        days = group["Properties"].get("RetentionInDays")
        if days is None or t.number(days) <= 0:
            result.problems.append(f"{logical}: no retention")
    for logical in t.functions:
        result.checked += 1
        target = t.target(t.function_setting(logical, "LoggingConfig", {}).get("LogGroup"))
        if target not in groups:
            result.problems.append(f"{logical}: logs to no log group of the template")
    for logical, api in t.resources("AWS::Serverless::HttpApi").items():
        result.checked += 1
        destination = api["Properties"].get("AccessLogSettings", {}).get("DestinationArn")
        if t.target(destination) not in groups:
            result.problems.append(f"{logical}: no access log to a log group of the template")
    return result


def every_route_declares_its_authentication(t: Template) -> Result:
    """Every API event is an HttpApi route with payload 1.0 (the event the handlers read) whose
    authentication is declared: the API's default authorizer (a JWT authorizer), or `Authorizer: NONE`
    said on the event itself. No route is open by omission, and none names an authorizer the API lacks
    (docs/decisions/018-tokens-verified-at-the-gateway.md)."""
    result = Result()
    apis = t.resources("AWS::Serverless::HttpApi")
    for logical in t.functions:
        for kind in ("Api", "HttpApi"):
            for event in t.events(logical, kind):
                result.checked += 1
                if kind == "Api":
                    result.problems.append(f"{logical}: a REST Api event; the API is an HTTP API")
                    continue
                if str(event.get("PayloadFormatVersion")) != "1.0":
                    result.problems.append(f"{logical}: payload format is not 1.0")
                api = apis.get(str(t.target(event.get("ApiId"))), {}).get("Properties", {})
                auth = api.get("Auth", {})
                authorizers = auth.get("Authorizers", {})
                named = event.get("Auth", {}).get("Authorizer")
                if named is None:
                    default = auth.get("DefaultAuthorizer")
                    if default not in authorizers:
                        result.problems.append(
                            f"{logical}: no authentication declared (no default authorizer)"
                        )
                    elif "JwtConfiguration" not in authorizers[default]:
                        result.problems.append(
                            f"{logical}: the default authorizer {default} is not a JWT one"
                        )
                elif named != "NONE" and named not in authorizers:
                    result.problems.append(f"{logical}: the authorizer {named} is not the API's")
    return result


GREEDY = "/{proxy+}"


def documented_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation of the committed OpenAPI document (generated from the code)."""
    paths: dict[str, dict[str, Any]] = json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"]
    return [(method, path) for path, item in paths.items() for method in item]


def slash_ended_paths_have_their_greedy_route(t: Template) -> Result:
    """A documented path that ends in `/` (the Invoice API's `POST /invoice/`, `GET /invoice/`) is served
    by its function through two routes: `<path>` without the slash, and `<path>{proxy+}` with the same
    method, payload format and authentication, as an HTTP API is reported to match no route to the slash
    and a route cannot end in `/` (docs/decisions/017-an-http-api.md). Every greedy route is such a
    second route, and the document names none as an operation: they are how the slash is served, not
    operations of their own."""
    result = Result()
    routes: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for logical in t.functions:
        for event in t.events(logical, "HttpApi"):
            routes[(str(event.get("Method", "")).lower(), str(event.get("Path", "")))] = (logical, event)

    def same(event: dict[str, Any]) -> tuple[Any, ...]:
        return event.get("ApiId"), str(event.get("PayloadFormatVersion")), event.get("Auth")

    for method, path in documented_operations():
        result.checked += 1
        if "{proxy+}" in path:
            result.problems.append(f"{method.upper()} {path}: a greedy route documented as an operation")
        if not path.endswith("/") or path == "/":
            continue
        bare, greedy = routes.get((method, path.rstrip("/"))), routes.get((method, path + GREEDY[1:]))
        if bare is None or greedy is None:
            result.problems.append(
                f"{method.upper()} {path}: no route {path}{GREEDY[1:]} beside its bare path"
            )
        elif bare[0] != greedy[0] or same(bare[1]) != same(greedy[1]):
            result.problems.append(f"{method.upper()} {path}: the greedy route is not the bare one's twin")
    for (method, path), (logical, _) in routes.items():
        if path.endswith(GREEDY):
            result.checked += 1
            twin = routes.get((method, path.removesuffix(GREEDY)))
            if twin is None or twin[0] != logical:
                result.problems.append(f"{logical}: {method.upper()} {path} serves no bare path's slash")
    return result


def api_functions_time_out_before_api_gateway(t: Template) -> Result:
    """API Gateway gives up after 29 s; a function behind it must stop first."""
    result = Result()
    for logical in t.api_functions():
        result.checked += 1
        timeout = t.number(t.function_setting(logical, "Timeout", LAMBDA_DEFAULT_TIMEOUT))
        if timeout > API_GATEWAY_TIMEOUT:
            result.problems.append(f"{logical}: timeout {timeout} s > {API_GATEWAY_TIMEOUT} s")
    return result


# -- the dashboard -----------------------------------------------------------------------------------
_SUB = re.compile(r"\$\{([^}!]+)\}")


def dashboard_body(t: Template) -> Any:
    """The dashboard's JSON with every ${...} replaced by <name>, after checking each names something."""
    (dashboard,) = t.resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        logical = name.split(".", 1)[0]
        if (
            name not in PSEUDO
            and name not in t.sam.get("Parameters", {})
            and logical not in t.sam["Resources"]
        ):
            raise KeyError(f"the dashboard refers to {name}, which the template does not have")
        return f"<{name}>"

    return json.loads(_SUB.sub(one, body))


def _placeholder(value: Any) -> str:
    """A value as the dashboard shows it once substituted: ${X} and Ref X read <X>."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return _SUB.sub(lambda match: f"<{match.group(1)}>", value["Fn::Sub"])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    return str(value)


def _metrics(body: Any) -> Iterator[tuple[str, str, dict[str, str], str]]:
    """(namespace, metric, dimensions, statistic) of every metric line, "." taken from the line before."""
    for widget in body["widgets"]:
        props = widget.get("properties", {})
        previous: list[Any] = []
        for line in props.get("metrics", []):
            options = line[-1] if isinstance(line[-1], dict) else {}
            parts = [p for p in line if not isinstance(p, dict)]
            parts = [previous[i] if p == "." and i < len(previous) else p for i, p in enumerate(parts)]
            previous = parts
            dims = dict(zip(parts[2::2], parts[3::2], strict=True))
            yield parts[0], parts[1], dims, str(options.get("stat", props.get("stat", "Average")))


def dashboard_shows_the_service(t: Template) -> Result:
    """The dashboard is valid JSON once substituted, and shows per function invocations, errors and
    p50/p99 duration; the API's count, 4XX, 5XX and latency; each queue's depth and oldest message; and
    the Powertools metrics the code writes, in its namespace and service dimension."""
    from invoice_hub import metrics

    result = Result()
    try:
        body = dashboard_body(t)
    except (ValueError, KeyError) as error:
        return Result(1, [f"dashboard: {error}"])
    shown = {(ns, name, tuple(sorted(dims.items())), stat) for ns, name, dims, stat in _metrics(body)}
    names = {(ns, name, dims) for ns, name, dims, _ in shown}

    def need(ns: str, name: str, dims: dict[str, str], stats: tuple[str, ...] = ()) -> None:
        result.checked += 1
        key = tuple(sorted(dims.items()))
        if (ns, name, key) not in names:
            result.problems.append(f"dashboard: no {ns} {name} {dims}")
        for stat in stats:
            if (ns, name, key, stat) not in shown:
                result.problems.append(f"dashboard: no {stat} of {ns} {name} {dims}")

    for logical in t.functions:
        function = {"FunctionName": f"<{logical}>"}
        need("AWS/Lambda", "Invocations", function)
        need("AWS/Lambda", "Errors", function)
        need("AWS/Lambda", "Duration", function, ("p50", "p99"))
    ((api_logical, api),) = t.resources("AWS::Serverless::HttpApi").items()
    api_dims = {"ApiId": f"<{api_logical}>", "Stage": _placeholder(api["Properties"]["StageName"])}
    for name in ("Count", "4xx", "5xx", "Latency"):
        need("AWS/ApiGateway", name, api_dims)
    for logical in t.resources("AWS::SQS::Queue"):
        for name in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"):
            need("AWS/SQS", name, {"QueueName": f"<{logical}.QueueName>"})
    env = t.sam["Globals"]["Function"]["Environment"]["Variables"]
    service = {"service": env["POWERTOOLS_SERVICE_NAME"]}
    for name in (metrics.SENDS, metrics.SEND_FAILURES, metrics.REDRIVES):
        need(env["POWERTOOLS_METRICS_NAMESPACE"], name, service, ("Sum",))
    url = json.dumps(t.sam.get("Outputs", {}).get("DashboardUrl", {}).get("Value"))
    result.checked += 1
    if "#dashboards:name=${Dashboard}" not in url:
        result.problems.append("outputs: no DashboardUrl naming the dashboard")
    return result


CHECKS: dict[str, Callable[[Template], Result]] = {
    check.__name__: check
    for check in (
        visibility_covers_consumers,
        receives_before_dead_letter,
        dead_letters_outlive_their_source,
        mappings_report_failures_and_bound_concurrency,
        move_tasks_only_on_redrivers,
        read_only_functions_only_read,
        encrypted_with_the_customer_managed_key,
        every_log_group_has_retention,
        every_route_declares_its_authentication,
        slash_ended_paths_have_their_greedy_route,
        api_functions_time_out_before_api_gateway,
        dashboard_shows_the_service,
    )
}
