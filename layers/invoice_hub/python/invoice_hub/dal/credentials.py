"""API keys (Decoda `API-KEY`) stored only as SHA-256 hashes, each mapped to its tenant.

A key is a long random secret, so an unsalted SHA-256 is enough to make the stored value useless to a
reader of the table, and lets a request find its key with one GetItem.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from functools import lru_cache
from uuid import UUID

from pydantic import BaseModel

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import dynamodb_client, from_item, throttling_as_busy, to_item

CACHE_SECONDS = 60


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(prefix: str = "ihk") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class ApiKey(BaseModel):
    tenant_id: UUID
    tenant_slug: str
    roles: tuple[str, ...] = ()
    revoked: bool = False


class CredentialRepository:
    def __init__(self, table_name: str) -> None:
        self.table = table_name
        self.client = dynamodb_client()
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}

    def put_api_key(self, key: str, api_key: ApiKey) -> None:
        item = {**keys.api_key_key(key_hash(key)), "entity": "APIKEY", **api_key.model_dump(mode="json")}
        with throttling_as_busy():
            self.client.put_item(TableName=self.table, Item=to_item(item))
        self._cache.pop(key_hash(key), None)

    def api_key(self, key: str) -> ApiKey | None:
        """The key's record, or None; answers (found or not) are cached for a minute per container."""
        digest = key_hash(key)
        cached = self._cache.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        with throttling_as_busy():
            item = self.client.get_item(TableName=self.table, Key=to_item(keys.api_key_key(digest))).get(
                "Item"
            )
        found = None
        if item:
            data = from_item(item)
            found = ApiKey.model_validate({k: v for k, v in data.items() if k in ApiKey.model_fields})
        self._cache[digest] = (time.monotonic() + CACHE_SECONDS, found)
        return found


@lru_cache(maxsize=4)
def credential_repository(settings: Settings) -> CredentialRepository:
    return CredentialRepository(settings.table_name)
