"""Builds the template's stateful resources in moto (over its HTTP endpoint) and resolves intrinsics.

Resource types the local stack does not need to build (roles, log groups, the API itself, layers) are
served by other parts of the local stack or have no local meaning; they are listed in SERVED_ELSEWHERE.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from invoice_hub_local.template import Stack

REGION = "us-east-1"
ACCOUNT = "123456789012"
SERVED_ELSEWHERE = frozenset(
    {
        "AWS::Lambda::Function",  # run in-process by the gateway and the pollers
        "AWS::Lambda::Permission",
        "AWS::Lambda::LayerVersion",  # the layer is the installed invoice_hub package
        "AWS::IAM::Role",
        "AWS::Logs::LogGroup",
        "AWS::ApiGatewayV2::Api",  # served by the local gateway from the same routes and authorizers
        "AWS::ApiGatewayV2::Stage",
        "AWS::Lambda::EventSourceMapping",  # served by the local queue pollers
        "AWS::Events::Rule",  # served by the local schedule runner
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",  # a console page; tests/template checks its body
        "AWS::XRay::SamplingRule",  # prod only (decision 022); nothing is traced locally
    }
)
_SUB = re.compile(r"\$\{([^}]+)\}")


class Unresolvable(Exception):
    """An intrinsic names a resource that is not built yet."""


@dataclass
class Resolved:
    """Physical ids (Ref) and attributes (GetAtt) of what was built, plus the pseudo parameters."""

    refs: dict[str, str] = field(default_factory=dict)
    attrs: dict[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self._ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            logical, attr = value["Fn::GetAtt"]
            return self._att(logical, attr)
        if set(value) == {"Fn::Sub"}:
            return self._sub(value["Fn::Sub"])
        if set(value) == {"Fn::Join"}:
            sep, parts = value["Fn::Join"]
            return sep.join(str(self.resolve(p)) for p in parts)
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> str:
        if name not in self.refs:
            raise Unresolvable(name)
        return self.refs[name]

    def _att(self, logical: str, attr: str) -> str:
        if (logical, attr) not in self.attrs:
            raise Unresolvable(f"{logical}.{attr}")
        return self.attrs[(logical, attr)]

    def _sub(self, spec: str | list[Any]) -> str:
        text, local = (spec, {}) if isinstance(spec, str) else (spec[0], spec[1])

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(self.resolve(local[name]))
            if "." in name:
                logical, attr = name.split(".", 1)
                return self._att(logical, attr)
            return self._ref(name)

        return _SUB.sub(one, text)


def physical_function_name(stack: Stack, logical: str) -> str:
    """A function's name in the local stack (CloudFormation adds a random suffix; nothing here needs one)."""
    return f"{stack.name}-{logical}"


class Provisioner:
    def __init__(self, stack: Stack, endpoint_url: str) -> None:
        self.stack = stack
        self.endpoint_url = endpoint_url
        self.resolved = Resolved()
        self.resolved.refs.update(stack.parameters)
        self.resolved.refs.update(
            {
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT,
                "AWS::StackName": stack.name,
                "AWS::Partition": "aws",
            }
        )
        self._builders: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::SQS::Queue": self._queue,
            "AWS::KMS::Key": self._kms_key,
            "AWS::KMS::Alias": self._kms_alias,
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::SES::ConfigurationSet": self._configuration_set,
            "AWS::SES::ConfigurationSetEventDestination": self._event_destination,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::TopicPolicy": self._topic_policy,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::SMSVOICE::ConfigurationSet": self._sms_configuration_set,
        }
        #: each End User Messaging configuration set's SNS event destination (the fake SMS publishes there)
        self.sms_event_topics: dict[str, str] = {}
        # the functions run in this process under a name of the stack's (`!Ref`), as CloudFormation names
        # them; the render function is invoked by it (lambda_invoke.py)
        for logical in stack.functions:
            name = physical_function_name(stack, logical)
            self.resolved.refs[logical] = name
            self.resolved.attrs[(logical, "Arn")] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        # EventBridge rules are made by the local triggers under their logical ids; their ARNs are known now
        for logical, resource in stack.template["Resources"].items():
            if resource["Type"] == "AWS::Events::Rule":
                self.resolved.refs[logical] = logical
                self.resolved.attrs[(logical, "Arn")] = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{logical}"
        #: each configuration set's EventBridge destination: the event types it publishes (the local SES
        #: events are published by fake_ses_events, which reads this)
        self.email_event_types: dict[str, list[str]] = {}

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=REGION)  # type: ignore[call-overload]

    def build(self) -> Resolved:
        """Builds every resource whose intrinsics can be resolved, until all are built."""
        pending = {
            logical: resource
            for logical, resource in self.stack.template["Resources"].items()
            if resource["Type"] not in SERVED_ELSEWHERE
        }
        unknown = {r["Type"] for r in pending.values()} - set(self._builders)
        if unknown:
            raise NotImplementedError(f"the local stack cannot build {sorted(unknown)} yet")
        while pending:
            progressed = False
            for logical, resource in list(pending.items()):
                try:
                    props = self.resolved.resolve(resource.get("Properties", {}))
                except Unresolvable:
                    continue
                self._builders[resource["Type"]](logical, props)
                del pending[logical]
                progressed = True
            if not progressed:
                raise RuntimeError(f"circular or unresolvable references among {sorted(pending)}")
        return self.resolved

    def function_environment(self) -> dict[str, str]:
        """The environment of every function, resolved; the functions share one process locally, so a
        variable two functions set differently is an error rather than a silent pick."""
        merged: dict[str, str] = {}
        for spec in self.stack.functions.values():
            for name, value in self.resolved.resolve(spec.environment).items():
                if name in merged and merged[name] != str(value):
                    raise ValueError(f"{name} differs between functions; the local stack cannot run both")
                merged[name] = str(value)
        return merged

    # -- builders ------------------------------------------------------------------------------------
    def _table(self, logical: str, props: dict[str, Any]) -> None:
        name = props.get("TableName") or f"{self.stack.name}-{logical}"
        args: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        sse = props.get("SSESpecification")
        if sse:
            args["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))}
            if sse.get("SSEType"):
                args["SSESpecification"]["SSEType"] = sse["SSEType"]
            if sse.get("KMSMasterKeyId"):
                args["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
        if props.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        dynamodb = self.client("dynamodb")
        created = dynamodb.create_table(**args)["TableDescription"]
        if created.get("LatestStreamArn"):
            self.resolved.attrs[(logical, "StreamArn")] = created["LatestStreamArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self.resolved.refs[logical] = name
        self.resolved.attrs[(logical, "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"

    def _queue(self, logical: str, props: dict[str, Any]) -> None:
        name = props.get("QueueName") or f"{self.stack.name}-{logical}"
        attributes: dict[str, str] = {}
        for key, value in props.items():
            if key in {"QueueName", "Tags"}:
                continue
            attributes[key] = (
                json.dumps(value)
                if isinstance(value, dict)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.resolved.refs[logical] = url
        self.resolved.attrs[(logical, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        self.resolved.attrs[(logical, "QueueName")] = name
        self.resolved.attrs[(logical, "QueueUrl")] = url

    def _kms_key(self, logical: str, props: dict[str, Any]) -> None:
        kms = self.client("kms")
        metadata = kms.create_key(
            Description=props.get("Description", logical), Policy=json.dumps(props["KeyPolicy"])
        )["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        self.resolved.refs[logical] = metadata["KeyId"]
        self.resolved.attrs[(logical, "Arn")] = metadata["Arn"]
        self.resolved.attrs[(logical, "KeyId")] = metadata["KeyId"]

    def _kms_alias(self, logical: str, props: dict[str, Any]) -> None:
        self.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        self.resolved.refs[logical] = props["AliasName"]

    def _user_pool(self, logical: str, props: dict[str, Any]) -> None:
        args = {k: v for k, v in props.items() if k not in {"UserPoolName"}}
        pool = self.client("cognito-idp").create_user_pool(
            PoolName=props.get("UserPoolName", logical), **args
        )
        pool_id = pool["UserPool"]["Id"]
        self.resolved.refs[logical] = pool_id
        self.resolved.attrs[(logical, "Arn")] = pool["UserPool"]["Arn"]
        self.resolved.attrs[(logical, "ProviderName")] = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"

    def _user_pool_client(self, logical: str, props: dict[str, Any]) -> None:
        client = self.client("cognito-idp").create_user_pool_client(**props)
        self.resolved.refs[logical] = client["UserPoolClient"]["ClientId"]

    def _user_pool_group(self, logical: str, props: dict[str, Any]) -> None:
        self.client("cognito-idp").create_group(**props)
        self.resolved.refs[logical] = props["GroupName"]

    def _bucket(self, logical: str, props: dict[str, Any]) -> None:
        name = props.get("BucketName") or f"{self.stack.name}-{logical}".lower()
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        if "BucketEncryption" in props:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
                        "KMSMasterKeyID": rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"],
                    },
                    "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled")),
                }
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "LifecycleConfiguration" in props:
            rules = []
            for rule in props["LifecycleConfiguration"]["Rules"]:
                one: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"]}
                one["Filter"] = {"Prefix": rule.get("Prefix", "")}
                if "ExpirationInDays" in rule:
                    one["Expiration"] = {"Days": rule["ExpirationInDays"]}
                if "AbortIncompleteMultipartUpload" in rule:
                    one["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
                rules.append(one)
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        self.resolved.refs[logical] = name
        self.resolved.attrs[(logical, "Arn")] = f"arn:aws:s3:::{name}"

    def _bucket_policy(self, logical: str, props: dict[str, Any]) -> None:
        # moto answers over plain HTTP: the policy's TLS-only deny is kept in the template, not applied
        self.resolved.refs[logical] = props["Bucket"]

    def _event_destination(self, logical: str, props: dict[str, Any]) -> None:
        destination = props["EventDestination"]
        name = str(self.resolved.resolve(props["ConfigurationSetName"]))
        if destination.get("Enabled", True) and "EventBridgeDestination" in destination:
            self.email_event_types[name] = list(destination["MatchingEventTypes"])
        self.resolved.refs[logical] = destination["Name"]

    def _queue_policy(self, logical: str, props: dict[str, Any]) -> None:
        policy = json.dumps(self.resolved.resolve(props["PolicyDocument"]))
        for queue in props["Queues"]:
            url = str(self.resolved.resolve(queue))
            self.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        self.resolved.refs[logical] = logical

    def _topic(self, logical: str, props: dict[str, Any]) -> None:
        name = str(self.resolved.resolve(props.get("TopicName") or f"{self.stack.name}-{logical}"))
        arn = self.client("sns").create_topic(Name=name)["TopicArn"]
        self.resolved.refs[logical] = arn
        self.resolved.attrs[(logical, "TopicArn")] = arn
        self.resolved.attrs[(logical, "TopicName")] = name

    def _topic_policy(self, logical: str, props: dict[str, Any]) -> None:
        policy = json.dumps(self.resolved.resolve(props["PolicyDocument"]))
        for topic in props["Topics"]:
            arn = str(self.resolved.resolve(topic))
            self.client("sns").set_topic_attributes(
                TopicArn=arn, AttributeName="Policy", AttributeValue=policy
            )
        self.resolved.refs[logical] = logical

    def _subscription(self, logical: str, props: dict[str, Any]) -> None:
        """SQS subscriptions are made (SNS delivers to the queue in moto); alarm mail is not sent locally."""
        self.resolved.refs[logical] = logical
        if props.get("Protocol") != "sqs":
            return
        attributes = {"RawMessageDelivery": str(props.get("RawMessageDelivery", False)).lower()}
        self.client("sns").subscribe(
            TopicArn=str(self.resolved.resolve(props["TopicArn"])),
            Protocol="sqs",
            Endpoint=str(self.resolved.resolve(props["Endpoint"])),
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )

    def _sms_configuration_set(self, logical: str, props: dict[str, Any]) -> None:
        name = str(self.resolved.resolve(props["ConfigurationSetName"]))
        for destination in props.get("EventDestinations", []):
            if destination.get("Enabled", True) and "SnsDestination" in destination:
                self.sms_event_topics[name] = str(
                    self.resolved.resolve(destination["SnsDestination"]["TopicArn"])
                )
        self.resolved.refs[logical] = name

    def _configuration_set(self, logical: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or f"{self.stack.name}-{logical}"
        self.client("sesv2").create_configuration_set(ConfigurationSetName=name)
        self.resolved.refs[logical] = name
