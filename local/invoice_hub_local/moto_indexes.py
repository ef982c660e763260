"""DynamoDB's Query in moto, reading the partition it names instead of the whole table.

moto answers every Query by walking every item of the table and keeping those whose key matches: a
Query of one partition of the table, or of one partition of a global secondary index, costs as much as
a Scan. The local stack's tables fill as the service (and a test session) runs, so a list that answers
in milliseconds on an empty table takes seconds at ten thousand items (retry-all at 10,000 failed
sends, issue 15), which DynamoDB, reading only the partition, never does.

Here each table keeps, beside moto's items, a map of each global secondary index: the index's hash key
values to the items that carry them (items without every key attribute of the index are not in it, as
in DynamoDB's sparse indexes). Every way moto writes an item (PutItem, UpdateItem in place, DeleteItem,
the batch and transaction writes built on them, and the transaction roll-back of moto_transactions)
refreshes the item's places in the maps. A Query then hands moto's own Query the partition's items
instead of the table's: moto still checks the key conditions, sorts, pages, projects and filters, so
the answer is moto's own, read from the partition. A Query on the table itself reads the table's
partition, which moto already stores by hash key.

`install()` is called by the local stack before moto's server starts; it is idempotent. aws.py serves
moto one request at a time, so a map never changes while a Query reads it.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_PrimaryKey = tuple[DynamoType, DynamoType | None]
_install_lock = threading.Lock()
_narrowed = threading.local()


class IndexMaps:
    """One table's global secondary indexes, each as {its hash key values: {primary key: item}}."""

    def __init__(self, table: Table) -> None:
        self.partitions: dict[str, dict[tuple[DynamoType, ...], dict[_PrimaryKey, Item]]] = {}
        self.places: dict[_PrimaryKey, list[tuple[str, tuple[DynamoType, ...]]]] = {}
        self.keys: dict[str, tuple[list[str], list[str]]] = {}
        for index in table.global_indexes:
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
            self.keys[index.name] = (hashes, ranges)
            self.partitions[index.name] = {}
        for item in _moto_all_items(table):
            self.place(item)

    def forget(self, key: _PrimaryKey) -> None:
        for index_name, partition in self.places.pop(key, []):
            items = self.partitions[index_name].get(partition)
            if items is not None:
                items.pop(key, None)
                if not items:
                    del self.partitions[index_name][partition]

    def place(self, item: Item) -> None:
        key = (item.hash_key, item.range_key)
        self.forget(key)
        places: list[tuple[str, tuple[DynamoType, ...]]] = []
        for index_name, (hashes, ranges) in self.keys.items():
            values = [item.attrs[name] for name in hashes if item.attrs.get(name) is not None]
            if len(values) < len(hashes) or any(item.attrs.get(name) is None for name in ranges):
                continue  # not in this (sparse) index
            partition = tuple(values)
            self.partitions[index_name].setdefault(partition, {})[key] = item
            places.append((index_name, partition))
        if places:
            self.places[key] = places

    def partition(self, index_name: str, conditions: list[tuple[str, DynamoType]]) -> list[Item] | None:
        """The items of one partition of the index; None when the conditions do not name one."""
        keys = self.keys.get(index_name)
        given = dict(conditions)
        if keys is None or set(given) != set(keys[0]):
            return None
        return list(self.partitions[index_name].get(tuple(given[name] for name in keys[0]), {}).values())


def maps(table: Table) -> IndexMaps:
    existing: IndexMaps | None = getattr(table, "_index_maps", None)
    if existing is None or set(existing.keys) != {index.name for index in table.global_indexes}:
        existing = IndexMaps(table)  # first use, or the table's indexes changed (UpdateTable)
        table._index_maps = existing  # type: ignore[attr-defined]
    return existing


def refresh(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> None:
    """The item at this key, as it is now, in each index map of its table (or in none, if it is gone)."""
    index_maps = maps(table)
    current = (
        table.get_item(hash_value, range_value)
        if (range_value is not None or not table.has_range_key)
        else None
    )
    if current is None:
        index_maps.forget((hash_value, range_value))
    else:
        index_maps.place(current)


def _candidates(table: Table, arguments: dict[str, Any]) -> list[Item] | None:
    index_name = arguments.get("index_name")
    if index_name:
        if not any(index.name == index_name for index in table.global_indexes):
            return None  # a local secondary index (or an unknown name: moto answers it)
        return maps(table).partition(index_name, arguments.get("hash_key_conditions") or [])
    hash_key = arguments.get("hash_key")
    if hash_key is None:
        return None
    if hash_key not in table.items:
        return []
    stored = table.items[hash_key]
    return list(stored.values()) if table.has_range_key else [stored]  # type: ignore[list-item]


_moto_all_items: Callable[[Table], list[Item]] = Table.all_items


def install() -> None:
    with _install_lock:
        if not getattr(Table.query, "_reads_partition", False):
            _install()


def _install() -> None:
    global _moto_all_items
    _moto_all_items = moto_all_items = Table.all_items
    moto_query = Table.query
    query_signature = inspect.signature(moto_query)
    moto_put_item = Table.put_item
    moto_delete_item = Table.delete_item
    moto_update_item = DynamoDBBackend.update_item

    def all_items(self: Table) -> list[Item]:
        narrowed = getattr(_narrowed, "items", None)
        if narrowed is not None and narrowed[0] is self:
            return list(narrowed[1])
        return moto_all_items(self)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = query_signature.bind(self, *args, **kwargs).arguments
        candidates = _candidates(self, arguments)
        if candidates is None:
            return moto_query(self, *args, **kwargs)
        _narrowed.items = (self, candidates)
        try:
            return moto_query(self, *args, **kwargs)
        finally:
            _narrowed.items = None

    def put_item(self: Table, *args: Any, **kwargs: Any) -> Item:
        item = moto_put_item(self, *args, **kwargs)
        maps(self).place(item)
        return item

    def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        item = moto_delete_item(self, hash_key, range_key)
        maps(self).forget((hash_key, range_key))
        return item

    def update_item(
        self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Item:
        try:
            return moto_update_item(self, table_name, key, *args, **kwargs)
        finally:
            # moto updates the stored item in place (also when a later part of the update fails)
            table = self.tables.get(table_name)
            if table is not None and isinstance(key, dict) and table.hash_key_attr in key:
                range_attr = table.range_key_attr
                range_value = DynamoType(key[range_attr]) if range_attr and range_attr in key else None
                refresh(table, DynamoType(key[table.hash_key_attr]), range_value)

    query._reads_partition = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]
