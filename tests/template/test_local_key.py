"""The local stack builds the template's key in moto and puts the tables and queues on it, as AWS would."""

from __future__ import annotations

import boto3

from invoice_hub_local.provision import REGION
from invoice_hub_local.stack import LocalStack
from tests.report import tried


def test_local_tables_and_queues_use_the_templates_key(stack: LocalStack) -> None:
    kms = boto3.client("kms", endpoint_url=stack.aws_endpoint, region_name=REGION)
    key_id = stack.resolved.refs["EncryptionKey"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases[f"alias/{stack.stack.name}"] == key_id

    sqs = boto3.client("sqs", endpoint_url=stack.aws_endpoint, region_name=REGION)
    for queue in ("SendQueue", "SendDLQ"):
        url = stack.resolved.refs[queue]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
        assert attributes["KmsMasterKeyId"] == key_id, queue

    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name=REGION)
    for table in ("Table", "IdempotencyTable"):
        sse = dynamodb.describe_table(TableName=stack.resolved.refs[table])["Table"]["SSEDescription"]
        assert sse["SSEType"] == "KMS", table
        assert key_id in sse["KMSMasterKeyArn"], table
    tried("template", "local stack: 2 tables and 2 queues in moto on the template's rotating key")
