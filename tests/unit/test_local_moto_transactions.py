"""The local stack's TransactWriteItems (moto with an item-by-item rollback) is all-or-nothing, as
DynamoDB's is: a failed transaction leaves every item it named as it was, new, changed or deleted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from invoice_hub_local import moto_transactions

TABLE = "items"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    moto_transactions.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="keys",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for sk, version in (("a", "1"), ("b", "1"), ("c", "1")):
            client.put_item(TableName=TABLE, Item={"pk": {"S": "t"}, "sk": {"S": sk}, "v": {"N": version}})
        client.put_item(TableName="keys", Item={"id": {"S": "k1"}, "v": {"N": "1"}})
        yield client


def key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "t"}, "sk": {"S": sk}}


def everything(client: Any) -> dict[str, Any]:
    items = client.scan(TableName=TABLE)["Items"] + client.scan(TableName="keys")["Items"]
    return {item.get("sk", item.get("id"))["S"]: item for item in items}


def test_a_failed_condition_leaves_every_named_item_as_it_was(dynamodb: Any) -> None:
    before = everything(dynamodb)
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**key("new"), "v": {"N": "1"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("a"),
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": key("b")}},
                {"Put": {"TableName": "keys", "Item": {"id": {"S": "k1"}, "v": {"N": "9"}}}},
                {"Put": {"TableName": "keys", "Item": {"id": {"S": "k2"}, "v": {"N": "1"}}}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
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
    assert everything(dynamodb) == before


def test_a_transaction_that_succeeds_writes_all_of_it(dynamodb: Any) -> None:
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**key("new"), "v": {"N": "1"}}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("a"),
                    "UpdateExpression": "SET v = :two",
                    "ConditionExpression": "v = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}},
                }
            },
            {"Delete": {"TableName": TABLE, "Key": key("b")}},
        ]
    )
    after = everything(dynamodb)
    assert set(after) == {"a", "c", "new", "k1"}
    assert after["a"]["v"] == {"N": "2"}


def test_a_refused_transaction_writes_nothing(dynamodb: Any) -> None:
    before = everything(dynamodb)
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**key("new"), "v": {"N": "1"}}}},
                {"Delete": {"TableName": TABLE, "Key": key("new")}},  # the same item twice
            ]
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert everything(dynamodb) == before
