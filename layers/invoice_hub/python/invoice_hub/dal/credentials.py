"""Keys that callers present: Decoda `API-KEY`s and eBillingHub `ProviderKey`s, stored only as SHA-256
hashes, each mapped to its tenant and to the name it must come with (Decoda's `TENANT` slug, EBH's
`ProducerId`).

A key is a long random secret, so an unsalted SHA-256 makes the stored value useless to a reader of the
table, and lets a request find its key with one GetItem.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from functools import lru_cache
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import dynamodb_client, from_item, throttling_as_busy, to_item

CACHE_SECONDS = 60
Kind = Literal["api-key", "provider-key"]


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(prefix: str = "ihk") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class Credential(BaseModel):
    kind: Kind
    tenant_id: UUID
    name: str  # what the key must be presented with: the tenant slug (Decoda) or the producer id (EBH)
    roles: tuple[str, ...] = ()
    revoked: bool = False

    def accepts(self, name: str) -> bool:
        return not self.revoked and hmac.compare_digest(self.name, name)


class CredentialRepository:
    def __init__(self, table_name: str) -> None:
        self.table = table_name
        self.client = dynamodb_client()
        self._cache: dict[tuple[str, str], tuple[float, Credential | None]] = {}

    def put(self, key: str, credential: Credential) -> None:
        digest = key_hash(key)
        item = {
            **keys.credential_key(credential.kind, digest),
            "entity": "CREDENTIAL",
            **credential.model_dump(mode="json"),
        }
        with throttling_as_busy():
            self.client.put_item(TableName=self.table, Item=to_item(item))
        self._cache.pop((credential.kind, digest), None)

    def find(self, kind: Kind, key: str) -> Credential | None:
        """The key's record, or None; answers (found or not) are cached for a minute per container."""
        digest = key_hash(key)
        cached = self._cache.get((kind, digest))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        with throttling_as_busy():
            item = self.client.get_item(
                TableName=self.table, Key=to_item(keys.credential_key(kind, digest))
            ).get("Item")
        found = None
        if item:
            data = from_item(item)
            found = Credential.model_validate({k: v for k, v in data.items() if k in Credential.model_fields})
        self._cache[(kind, digest)] = (time.monotonic() + CACHE_SECONDS, found)
        return found

    def tenant_for(self, kind: Kind, key: str | None, name: str | None) -> UUID | None:
        """The tenant whose key this is, if it is presented with its name and not revoked."""
        if not key or not name:
            return None
        found = self.find(kind, key)
        return found.tenant_id if found is not None and found.accepts(name) else None


@lru_cache(maxsize=4)
def credential_repository(settings: Settings) -> CredentialRepository:
    return CredentialRepository(settings.table_name)
