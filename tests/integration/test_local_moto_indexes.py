"""The local stack's DynamoDB Query (moto with the index maps of moto_indexes) reads the partition it
names, as DynamoDB does, and answers what moto's full-table walk answered: after any mix of puts,
updates that move an item between partitions or out of a sparse index, deletes, batch writes and
transactions (committed or rolled back), each partition of each index holds exactly its items.

Against the session's moto server over HTTP, on a table of the test's own."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from invoice_hub_local.provision import REGION
from invoice_hub_local.stack import LocalStack

#: the patches to moto run in moto's request threads: traced here, so that coverage measures them
pytestmark = pytest.mark.usefixtures("moto_traced")

GROUPS = ("g0", "g1", "g2", "g3")


@dataclass
class Indexed:
    client: Any
    name: str
    model: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {"group", "when", "flag"?}

    def query(self, index: str | None, value: str) -> list[str]:
        """The ids of one partition, in the order the Query gives them (every page)."""
        key = {"ByGroup": "grp", "ByFlag": "flag", None: "pk"}[index]
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": {":v": {"S": value}},
            "Limit": 7,
        }
        if index:
            kwargs["IndexName"] = index
        ids: list[str] = []
        while True:
            page = self.client.query(**kwargs)
            ids += [item["sk"]["S"] for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return ids
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def expected(self, attribute: str, value: str) -> list[str]:
        members = [(attrs["when"], id_) for id_, attrs in self.model.items() if attrs.get(attribute) == value]
        return [id_ for _, id_ in sorted(members)]


@pytest.fixture
def indexed(stack: LocalStack) -> Iterator[Indexed]:
    client = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name=REGION)
    name = f"ix-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "grp", "flag", "when")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByGroup",
                "KeySchema": [
                    {"AttributeName": "grp", "KeyType": "HASH"},
                    {"AttributeName": "when", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {  # sparse: only the items with a flag are in it
                "IndexName": "ByFlag",
                "KeySchema": [
                    {"AttributeName": "flag", "KeyType": "HASH"},
                    {"AttributeName": "when", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield Indexed(client, name)
    client.delete_table(TableName=name)


def _item(id_: str, attrs: dict[str, str]) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": id_}, **{k: {"S": v} for k, v in attrs.items()}}


def _key(id_: str) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": id_}}


def _step(table: Indexed, rng: random.Random, step: int) -> None:
    """One random write, applied to the table and (when it succeeds) to the model."""
    client, model = table.client, table.model
    id_ = f"i{rng.randrange(40):02d}"
    attrs = {"grp": rng.choice(GROUPS), "when": f"{rng.randrange(1000):04d}#{id_}"}
    if rng.random() < 0.5:
        attrs["flag"] = rng.choice(("red", "blue"))
    kind = rng.choice(("put", "update", "unflag", "delete", "batch", "transaction", "failed transaction"))
    if kind == "put":
        client.put_item(TableName=table.name, Item=_item(id_, attrs))
        model[id_] = attrs
    elif kind == "update":  # moves the item to another partition of each index, in place
        client.update_item(
            TableName=table.name,
            Key=_key(id_),
            UpdateExpression="SET grp = :g, #w = :w",
            ExpressionAttributeNames={"#w": "when"},
            ExpressionAttributeValues={":g": {"S": attrs["grp"]}, ":w": {"S": attrs["when"]}},
        )
        model[id_] = {**model.get(id_, {}), "grp": attrs["grp"], "when": attrs["when"]}
    elif kind == "unflag":  # out of the sparse index
        client.update_item(TableName=table.name, Key=_key(id_), UpdateExpression="REMOVE flag")
        if id_ in model:
            model[id_].pop("flag", None)
        else:
            model[id_] = {}  # an update of a missing item makes it, with its key only
    elif kind == "delete":
        client.delete_item(TableName=table.name, Key=_key(id_))
        model.pop(id_, None)
    elif kind == "batch":
        other = f"b{step:03d}"
        client.batch_write_item(
            RequestItems={
                table.name: [
                    {"PutRequest": {"Item": _item(other, attrs)}},
                    {"DeleteRequest": {"Key": _key(id_)}},
                ]
            }
        )
        model[other] = attrs
        model.pop(id_, None)
    else:
        fails = kind == "failed transaction"
        check = {
            "ConditionExpression": "attribute_exists(sk)"
            if fails
            else "attribute_exists(sk) OR attribute_not_exists(sk)"
        }
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table.name, "Item": _item(id_, attrs)}},
                    {
                        "Update": {
                            "TableName": table.name,
                            "Key": _key("moved"),
                            "UpdateExpression": "SET grp = :g, #w = :w",
                            "ExpressionAttributeNames": {"#w": "when"},
                            "ExpressionAttributeValues": {
                                ":g": {"S": attrs["grp"]},
                                ":w": {"S": f"{step:04d}#moved"},
                            },
                        }
                    },
                    {"ConditionCheck": {"TableName": table.name, "Key": _key(f"never-{step}"), **check}},
                ]
            )
        except ClientError:
            if not fails:
                raise
            return
        model[id_] = attrs
        model["moved"] = {**model.get("moved", {}), "grp": attrs["grp"], "when": f"{step:04d}#moved"}


def _assert_every_partition(table: Indexed) -> None:
    for group in GROUPS:
        assert table.query("ByGroup", group) == table.expected("grp", group), group
    for flag in ("red", "blue"):
        found = table.query("ByFlag", flag)
        assert found == table.expected("flag", flag), flag
    assert table.query(None, "p") == sorted(id_ for id_ in table.model)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_partition_of_each_index_holds_exactly_its_items(indexed: Indexed, seed: int) -> None:
    rng = random.Random(seed)
    for step in range(150):
        _step(indexed, rng, step)
        if step % 25 == 24:
            _assert_every_partition(indexed)
    _assert_every_partition(indexed)


def test_a_query_reads_its_partition_not_the_table(indexed: Indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto walks `Table.all_items` to answer; here a Query walks only the partition it names."""
    requests = [
        {"PutRequest": {"Item": _item(f"o{n:04d}", {"grp": "g0", "when": f"{n:04d}"})}} for n in range(1500)
    ]
    for start in range(0, len(requests), 25):
        indexed.client.batch_write_item(RequestItems={indexed.name: requests[start : start + 25]})
    indexed.client.put_item(
        TableName=indexed.name, Item=_item("mine", {"grp": "g1", "when": "0001", "flag": "red"})
    )
    indexed.client.put_item(TableName=indexed.name, Item={"pk": {"S": "other"}, "sk": {"S": "x"}})
    walked: list[int] = []
    all_items = Table.all_items

    def counted(self: Table) -> list[Any]:
        items = all_items(self)
        walked.append(len(items))
        return items

    monkeypatch.setattr(Table, "all_items", counted)
    assert indexed.query("ByGroup", "g1") == ["mine"]
    assert indexed.query("ByFlag", "red") == ["mine"]
    assert indexed.query(None, "other") == ["x"]
    assert walked, "the Query walked nothing"
    assert max(walked) == 1, walked
