"""moto's DynamoDB answers with moto_items are the generic serializer's, byte for byte, for items of every
attribute type, from every read that returns items (GetItem, BatchGetItem, Query on the table and on an
index, Scan, TransactGetItems, an update's ReturnValues) and from the table's stream.

Against the session's moto server over HTTP, on a table of the test's own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.model import Shape
from moto.core.serialize import ResponseSerializer

from invoice_hub_local import moto_items
from invoice_hub_local.provision import REGION
from invoice_hub_local.sqs_move_tasks import BACKEND_LOCK
from invoice_hub_local.stack import LocalStack

#: the patches to moto run in moto's request threads: traced here, so that coverage measures them
pytestmark = pytest.mark.usefixtures("moto_traced")

#: every AttributeValue type, nested, with values a serializer might treat apart (empty, unicode, bytes)
ITEM: dict[str, Any] = {
    "s": 'ünïcode \u2028 "quoted" \\',
    "n": Decimal("-1.50"),
    "big": Decimal("123456789012345678901234567890"),
    "b": b"\x00\x01\xfe\xff binary",
    "empty_b": b"",
    "yes": True,
    "no": False,
    "nothing": None,
    "ss": {"a", "b"},
    "ns": {Decimal(1), Decimal("2.5")},
    "bs": {b"\x01", b"\x02"},
    "m": {"inner": {"deeper": [1, "two", b"\x03", None, {"k": {"x"}}]}, "empty": {}},
    "l": [[], {}, "", Decimal(0)],
    "empty_s": "",
}


@pytest.fixture
def dynamodb(stack: LocalStack) -> Iterator[tuple[Any, Any, str]]:
    client = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name=REGION)
    streams = boto3.client("dynamodbstreams", endpoint_url=stack.aws_endpoint, region_name=REGION)
    name = f"items-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    yield client, streams, name
    client.delete_table(TableName=name)


#: GetRecords' NextShardIterator: a position moto names anew on each read
NEXT_ITERATOR = re.compile(rb'"NextShardIterator": ?"[^"]*"')


def body_of(client: Any, call: Callable[[], object]) -> bytes:
    """The body moto wrote for the call's answer."""
    bodies: list[bytes] = []

    def keep(http_response: Any, **_: Any) -> None:
        bodies.append(http_response.content)

    client.meta.events.register("after-call", keep)
    try:
        call()
    finally:
        client.meta.events.unregister("after-call", keep)
    return bodies[-1]


def reads(client: Any, streams: Any, table: str) -> dict[str, tuple[Any, Callable[[], object]]]:
    """Each call that answers items (with the client that makes it), none of which writes but UpdateItem,
    which writes the same value each time."""
    key = {"pk": {"S": "p"}, "sk": {"S": "1"}}
    one = {":p": {"S": "p"}}
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def records() -> object:
        at = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        return streams.get_records(ShardIterator=at["ShardIterator"])

    touched = TypeSerializer().serialize(ITEM["m"])
    return {
        "GetItem": (client, lambda: client.get_item(TableName=table, Key=key)),
        "BatchGetItem": (
            client,
            lambda: client.batch_get_item(
                RequestItems={table: {"Keys": [key, {"pk": {"S": "p"}, "sk": {"S": "2"}}]}}
            ),
        ),
        "Query": (
            client,
            lambda: client.query(
                TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues=one
            ),
        ),
        "Query on an index": (
            client,
            lambda: client.query(
                TableName=table,
                IndexName="GSI",
                KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "g"}},
            ),
        ),
        "Scan": (client, lambda: client.scan(TableName=table)),
        "TransactGetItems": (
            client,
            lambda: client.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}]),
        ),
        "UpdateItem ALL_NEW": (
            client,
            lambda: client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET touched = :t",
                ExpressionAttributeValues={":t": touched},
                ReturnValues="ALL_NEW",
            ),
        ),
        "GetRecords": (streams, records),
    }


def test_moto_answers_items_as_the_generic_serializer_does(
    dynamodb: tuple[Any, Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two items holding every attribute type, and the table's stream of their writes
    client, streams, table = dynamodb
    serialize = TypeSerializer().serialize
    for sk in ("1", "2"):
        item = {"pk": "p", "sk": sk, "g": "g", **ITEM}
        client.put_item(TableName=table, Item={name: serialize(value) for name, value in item.items()})

    looked_up: list[str] = []  # each member of an AttributeValue the generic serializer looks up by shape
    get_value = ResponseSerializer.get_value

    def counted(self: ResponseSerializer, value: Any, key: str, shape: Shape) -> Any:
        if getattr(getattr(shape, "parent", None), "name", None) == moto_items.ATTRIBUTE_VALUE:
            looked_up.append(key)
        return get_value(self, value, key, shape)

    monkeypatch.setattr(ResponseSerializer, "get_value", counted)

    for name, (caller, call) in reads(client, streams, table).items():
        # when each read is answered by moto's generic serializer, then as moto_items writes it
        # (switched, and counted, between two of moto's requests: a poller's read is never half of each)
        with BACKEND_LOCK:
            moto_items.uninstall()
        try:
            generic = body_of(caller, call)
        finally:
            with BACKEND_LOCK:
                moto_items.install()
                walked = len(looked_up)
        held = body_of(caller, call)
        with BACKEND_LOCK:
            since = len(looked_up) - walked
            del looked_up[:]
        # then the held answer's attributes are not looked up one by one (the generic one looks up hundreds)
        assert (walked > 100, since) == (True, 0), name
        # then the two are the same bytes (but the stream's next iterator, new on every read), with the items
        assert NEXT_ITERATOR.sub(b"", held) == NEXT_ITERATOR.sub(b"", generic), name
        assert b"\\u00fcn" in held or "ünï".encode() in held, name
