"""Keys that callers present: Decoda `API-KEY`s and eBillingHub `ProviderKey`s, stored only as SHA-256
hashes, each mapped to its tenant and to the name it must come with (Decoda's `TENANT` slug, EBH's
`ProducerId`).

A key is a long random secret, so an unsalted SHA-256 makes the stored value useless to a reader of the
table, and lets a request find its key with one GetItem. A key is shown once, when it is issued; after
that it is named by its id, the first KEY_ID_LENGTH hex digits of its hash. A tenant's keys are listed
from GSI1 (`T#<tenant>#CRED`). A revoked key is kept (marked, with when) so its id still lists; every
function instance caches a key's record for CACHE_SECONDS, so a revocation takes effect within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from uuid import UUID

from botocore.exceptions import ClientError
from pydantic import BaseModel

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import (
    dynamodb_client,
    error_code,
    from_item,
    full_items,
    query_pages,
    throttling_as_busy,
    to_item,
)
from invoice_hub.domain.errors import NotFound

CACHE_SECONDS = 60
KEY_ID_LENGTH = 12
Kind = Literal["api-key", "provider-key"]
KINDS: tuple[Kind, ...] = ("api-key", "provider-key")
#: how issued keys start, so that a leaked one is recognisable (secret scanners, logs)
KEY_PREFIXES: dict[Kind, str] = {"api-key": "ihk", "provider-key": "ebh"}


def as_bytes(text: str) -> bytes:
    """A header's text as bytes, whatever it holds (non-ASCII, even a lone surrogate): what callers send is
    compared and hashed as bytes, so no input makes a comparison fail with an error."""
    return text.encode("utf-8", "surrogatepass")


def key_hash(key: str) -> str:
    return hashlib.sha256(as_bytes(key)).hexdigest()


def new_key(prefix: str = "ihk") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class Credential(BaseModel):
    kind: Kind
    tenant_id: UUID
    name: str  # what the key must be presented with: the tenant slug (Decoda) or the producer id (EBH)
    roles: tuple[str, ...] = ()
    revoked: bool = False
    created_at: datetime | None = None
    revoked_at: datetime | None = None

    def accepts(self, name: str) -> bool:
        # compare_digest takes str only when ASCII: a `TENANT: démo` would raise a TypeError (a 5xx)
        return not self.revoked and hmac.compare_digest(as_bytes(self.name), as_bytes(name))


class CredentialNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Key not found")


@dataclass(frozen=True)
class StoredCredential:
    """A key's record as operators see it: its id and hash, never the key."""

    key_hash: str
    credential: Credential

    @property
    def key_id(self) -> str:
        return self.key_hash[:KEY_ID_LENGTH]


class CredentialRepository:
    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table = table_name
        self.client = client or dynamodb_client()
        self._cache: dict[tuple[str, str], tuple[float, Credential | None]] = {}

    def put(self, key: str, credential: Credential) -> StoredCredential:
        """Stores the key's hash and record (never the key itself)."""
        digest = key_hash(key)
        item = {
            **keys.credential_key(credential.kind, digest),
            "entity": "CREDENTIAL",
            "GSI1PK": keys.credentials_of_tenant(credential.tenant_id),
            "GSI1SK": f"{credential.kind}#{digest}",
            "key_hash": digest,
            **credential.model_dump(mode="json"),
        }
        with throttling_as_busy():
            self.client.put_item(TableName=self.table, Item=to_item(item))
        self._cache.pop((credential.kind, digest), None)
        return StoredCredential(digest, credential)

    def issue(self, kind: Kind, tenant_id: UUID, name: str, now: datetime) -> tuple[str, StoredCredential]:
        """A new random key for the tenant: (the key, to be shown once; what is stored)."""
        key = new_key(KEY_PREFIXES[kind])
        return key, self.put(key, Credential(kind=kind, tenant_id=tenant_id, name=name, created_at=now))

    def of_tenant(self, tenant_id: UUID) -> list[StoredCredential]:
        """The tenant's keys, revoked ones included (one Query on GSI1)."""
        request = {
            "TableName": self.table,
            "IndexName": keys.index_name("GSI1"),
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.credentials_of_tenant(tenant_id)}),
        }
        entries = query_pages(self.client, request)  # keys only: the records are read by BatchGetItem
        return [self._stored(from_item(item)) for item in full_items(self.client, self.table, entries)]

    def locate(self, key: str) -> StoredCredential | None:
        """The record of a key, whatever its kind (read now, not from the cache)."""
        return self.by_hash(key_hash(key))

    def by_hash(self, digest: str) -> StoredCredential | None:
        for kind in KINDS:
            with throttling_as_busy():
                item = self.client.get_item(
                    TableName=self.table, Key=to_item(keys.credential_key(kind, digest)), ConsistentRead=True
                ).get("Item")
            if item:
                return self._stored(from_item(item))
        return None

    def revoke(self, stored: StoredCredential, now: datetime) -> StoredCredential:
        """Marks the key revoked; it stops authenticating once the instances' caches expire."""
        kind = stored.credential.kind
        try:
            with throttling_as_busy():
                response = self.client.update_item(
                    TableName=self.table,
                    Key=to_item(keys.credential_key(kind, stored.key_hash)),
                    UpdateExpression="SET revoked = :yes, revoked_at = if_not_exists(revoked_at, :now)",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeValues=to_item({":yes": True, ":now": now.isoformat()}),
                    ReturnValues="ALL_NEW",
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise CredentialNotFound() from error
            raise
        self._cache.pop((kind, stored.key_hash), None)
        return self._stored(from_item(response["Attributes"]))

    @staticmethod
    def _credential(data: dict[str, Any]) -> Credential:
        return Credential.model_validate({k: v for k, v in data.items() if k in Credential.model_fields})

    def _stored(self, data: dict[str, Any]) -> StoredCredential:
        digest = str(data.get("key_hash") or str(data["PK"]).rsplit("#", 1)[-1])
        return StoredCredential(digest, self._credential(data))

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
        found = self._credential(from_item(item)) if item else None
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
