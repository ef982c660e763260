"""The local stack's TransactWriteItems (moto with an item-by-item rollback) is all-or-nothing, as
DynamoDB's is: a failed transaction leaves every item it named as it was, new, changed or deleted.

Against the session's moto server over HTTP, on two tables of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from invoice_hub_local.provision import REGION
from invoice_hub_local.stack import LocalStack

#: the patches to moto run in moto's request threads: traced here, so that coverage measures them
pytestmark = pytest.mark.usefixtures("moto_traced")


@dataclass(frozen=True)
class Tables:
    client: Any
    items: str  # hash and range key: pk, sk
    keys: str  # hash key only: id

    def everything(self) -> dict[str, Any]:
        items = (
            self.client.scan(TableName=self.items)["Items"] + self.client.scan(TableName=self.keys)["Items"]
        )
        return {item.get("sk", item.get("id"))["S"]: item for item in items}


@pytest.fixture
def tables(stack: LocalStack) -> Iterator[Tables]:
    client = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name=REGION)
    made = Tables(client, f"tx-items-{uuid.uuid4().hex[:8]}", f"tx-keys-{uuid.uuid4().hex[:8]}")
    for name, keys in ((made.items, ("pk", "sk")), (made.keys, ("id",))):
        client.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=False)
            ],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
            BillingMode="PAY_PER_REQUEST",
        )
    for sk in ("a", "b", "c"):
        client.put_item(TableName=made.items, Item={**key(sk), "v": {"N": "1"}})
    client.put_item(TableName=made.keys, Item={"id": {"S": "k1"}, "v": {"N": "1"}})
    yield made
    for name in (made.items, made.keys):
        client.delete_table(TableName=name)


def key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "t"}, "sk": {"S": sk}}


def test_a_failed_condition_leaves_every_named_item_as_it_was(tables: Tables) -> None:
    before = tables.everything()
    with pytest.raises(ClientError) as refused:
        tables.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": tables.items, "Item": {**key("new"), "v": {"N": "1"}}}},
                {
                    "Update": {
                        "TableName": tables.items,
                        "Key": key("a"),
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": tables.items, "Key": key("b")}},
                {"Put": {"TableName": tables.keys, "Item": {"id": {"S": "k1"}, "v": {"N": "9"}}}},
                {"Put": {"TableName": tables.keys, "Item": {"id": {"S": "k2"}, "v": {"N": "1"}}}},
                {
                    "ConditionCheck": {
                        "TableName": tables.items,
                        "Key": key("c"),
                        "ConditionExpression": "v = :nine",
                        "ExpressionAttributeValues": {":nine": {"N": "9"}},
                    }
                },
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None"] * 5 + ["ConditionalCheckFailed"]
    assert tables.everything() == before


def test_a_transaction_that_succeeds_writes_all_of_it(tables: Tables) -> None:
    tables.client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": tables.items, "Item": {**key("new"), "v": {"N": "1"}}}},
            {
                "Update": {
                    "TableName": tables.items,
                    "Key": key("a"),
                    "UpdateExpression": "SET v = :two",
                    "ConditionExpression": "v = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}},
                }
            },
            {"Delete": {"TableName": tables.items, "Key": key("b")}},
        ]
    )
    after = tables.everything()
    assert set(after) == {"a", "c", "new", "k1"}
    assert after["a"]["v"] == {"N": "2"}


def test_a_refused_transaction_writes_nothing(tables: Tables) -> None:
    before = tables.everything()
    with pytest.raises(ClientError) as refused:
        tables.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": tables.items, "Item": {**key("new"), "v": {"N": "1"}}}},
                {"Delete": {"TableName": tables.items, "Key": key("new")}},  # the same item twice
            ]
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert tables.everything() == before
