"""DynamoDB's TransactWriteItems in moto, rolled back item by item instead of table by table.

moto keeps a transaction all-or-nothing by deep-copying, before it writes, the whole of every table the
transaction names, once per item of the transaction, and putting the copies back if one item fails. A
copy costs about 0.12 ms per stored item (a 6,000-item table: 0.7 s), so a create (a transaction of
several items) slows down as the local tables fill, and 50 concurrent creates outran the clients'
timeouts on a slower machine.

Here the tables are not copied; the items the transaction names are (their state before it), and on a
failure exactly those are put back. Only those items can change in a TransactWriteItems, so what a
caller sees is what moto showed before, and what DynamoDB shows: all of it written, or none of it. The
table's stream forgets the records moto appended for a transaction that failed, as DynamoDB's never had them.
aws.py serves moto one request at a time, so no other request runs between a write and its rollback.

`install()` is called by the local stack before moto's server starts; it is idempotent.
"""

from __future__ import annotations

import copy
import threading
from types import ModuleType
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from invoice_hub_local import moto_indexes

_Key = tuple[str, DynamoType, DynamoType | None]
_install_lock = threading.Lock()


class _TablesAreNotCopied(ModuleType):
    """The `copy` module as moto's DynamoDB backend sees it: a Table "copies" to itself (the rollback
    below replaces the copy); everything else is copied as before."""

    def __init__(self) -> None:
        super().__init__("copy")

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _named_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> dict[_Key, Item | None]:
    """Each item the transaction names, as it is before the transaction (None: not there)."""
    before: dict[_Key, Item | None] = {}
    for entry in transact_items:
        op = next(iter(entry.values()), None)
        if not isinstance(op, dict) or op.get("TableName") not in backend.tables:
            continue  # moto refuses it before writing anything
        name = op["TableName"]
        table = backend.tables[name]
        attrs: dict[str, Any] = op.get("Item") or op.get("Key") or {}
        try:
            keys = {k: attrs[k] for k in (table.hash_key_attr, table.range_key_attr) if k is not None}
            hash_value, range_value = backend.get_keys_value(table, keys)
            current = table.get_item(hash_value, range_value)
        except (KeyError, TypeError, ValueError, MockValidationException):
            continue  # an item without its key: moto refuses it, and writes nothing for it
        before.setdefault((name, hash_value, range_value), copy.deepcopy(current))
    return before


def _put_back(backend: DynamoDBBackend, before: dict[_Key, Item | None]) -> None:
    for (name, hash_value, range_value), item in before.items():
        table: Table = backend.tables[name]
        if item is None:
            if table.get_item(hash_value, range_value) is not None:
                table.delete_item(hash_value, range_value)
        elif range_value is not None:
            table.items[hash_value][range_value] = item
        else:
            table.items[hash_value] = item  # type: ignore[assignment]  # moto's own annotation is loose
        moto_indexes.refresh(table, hash_value, range_value)


def _stream_lengths(backend: DynamoDBBackend, before: dict[_Key, Item | None]) -> dict[str, int]:
    """How many records each named table's stream holds before the transaction."""
    lengths: dict[str, int] = {}
    for name, _, _ in before:
        shard = backend.tables[name].stream_shard
        if shard is not None:
            lengths[name] = len(shard.items)
    return lengths


def _forget_stream_records(backend: DynamoDBBackend, lengths: dict[str, int]) -> None:
    """A transaction that failed wrote nothing, so its stream tells nothing: moto appends a record per item
    as it writes it, and those of a rolled-back transaction are dropped (DynamoDB never shows them)."""
    for name, length in lengths.items():
        shard = backend.tables[name].stream_shard
        if shard is not None:
            del shard.items[length:]


def install() -> None:
    with _install_lock:
        if not getattr(DynamoDBBackend.transact_write_items, "_item_rollback", False):
            _install()


def _install() -> None:
    moto_transact = DynamoDBBackend.transact_write_items
    dynamodb_models.copy = _TablesAreNotCopied()  # type: ignore[attr-defined]

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        before = _named_items(self, transact_items) if len(transact_items) <= 100 else {}
        streams = _stream_lengths(self, before)
        try:
            moto_transact(self, transact_items)
        except BaseException:
            _put_back(self, before)
            _forget_stream_records(self, streams)
            raise

    transact_write_items._item_rollback = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
