"""Tenant storage, and the per-container cache of tenants read on a request path.

Besides the tenant item, each tenant has a slug claim (`SLUG#<slug>`: slugs are unique, and a tenant is
found by slug with one GetItem) and an entry in the operators' directory, a GSI1 partition that lists
every tenant with one Query (the ops command's `tenant list`; no request path reads it).
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import (
    cancellation_codes,
    dynamodb_client,
    error_code,
    from_item,
    full_items,
    query_pages,
    throttling_as_busy,
    to_item,
)
from invoice_hub.domain.errors import InvoiceHubError, NotFound
from invoice_hub.domain.tenant import Tenant

#: how long a container trusts a tenant it read (destinations change rarely)
CACHE_SECONDS = 60


class TenantExists(InvoiceHubError):
    """A tenant with this id or slug exists already."""


class TenantRepository:
    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table = table_name
        self.client = client or dynamodb_client()
        self._cache: dict[UUID, tuple[float, Tenant]] = {}

    @staticmethod
    def to_item(tenant: Tenant) -> dict[str, Any]:
        return to_item(
            {
                **keys.tenant_key(tenant.id),
                "entity": "TENANT",
                "GSI1PK": keys.TENANT_DIRECTORY,
                "GSI1SK": f"{tenant.slug}#{tenant.id}",
                **tenant.model_dump(mode="json"),
            }
        )

    @staticmethod
    def slug_item(tenant: Tenant) -> dict[str, Any]:
        claim = {**keys.tenant_slug_key(tenant.slug), "entity": "TENANT_SLUG", "tenant_id": str(tenant.id)}
        return to_item(claim)

    def put(self, tenant: Tenant) -> None:
        """Writes the tenant and its slug claim (writing the same tenant again changes nothing)."""
        with throttling_as_busy():
            self.client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table, "Item": self.to_item(tenant)}},
                    {"Put": {"TableName": self.table, "Item": self.slug_item(tenant)}},
                ]
            )
        self._cache.pop(tenant.id, None)

    def create(self, tenant: Tenant) -> None:
        """Stores a new tenant; TenantExists if its id or its slug is taken."""
        items = [self.to_item(tenant), self.slug_item(tenant)]
        puts: Any = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
            for item in items
        ]
        try:
            with throttling_as_busy():
                self.client.transact_write_items(TransactItems=puts)
        except ClientError as error:
            codes = cancellation_codes(error)
            if error_code(error) == "TransactionCanceledException" and "ConditionalCheckFailed" in codes:
                raise TenantExists(f"the slug {tenant.slug!r} (or this id) is taken") from error
            raise

    def put_if_absent(self, tenant: Tenant) -> bool:
        """Stores the tenant unless it exists; True when it was created now."""
        try:
            self.create(tenant)
        except TenantExists:
            return False
        return True

    def get(self, tenant_id: UUID) -> Tenant:
        cached = self._cache.get(tenant_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        with throttling_as_busy():
            item = self.client.get_item(TableName=self.table, Key=to_item(keys.tenant_key(tenant_id))).get(
                "Item"
            )
        if not item:
            raise NotFound("Tenant not found")
        tenant = self._tenant(from_item(item))
        self._cache[tenant_id] = (time.monotonic() + CACHE_SECONDS, tenant)
        return tenant

    def by_slug(self, slug: str) -> Tenant:
        with throttling_as_busy():
            item = self.client.get_item(
                TableName=self.table, Key=to_item(keys.tenant_slug_key(slug)), ConsistentRead=True
            ).get("Item")
        if not item:
            raise NotFound("Tenant not found")
        return self.get(UUID(str(from_item(item)["tenant_id"])))

    def list_all(self) -> list[Tenant]:
        """Every tenant, by slug (one Query on the operators' directory)."""
        request = {
            "TableName": self.table,
            "IndexName": keys.index_name("GSI1"),
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.TENANT_DIRECTORY}),
        }
        entries = query_pages(self.client, request)  # keys only: the tenants are read by BatchGetItem
        return [self._tenant(from_item(item)) for item in full_items(self.client, self.table, entries)]

    @staticmethod
    def _tenant(data: dict[str, Any]) -> Tenant:
        return Tenant.model_validate({k: v for k, v in data.items() if k in Tenant.model_fields})


@lru_cache(maxsize=4)
def tenant_repository(settings: Settings) -> TenantRepository:
    return TenantRepository(settings.table_name)
