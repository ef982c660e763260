"""Tenant storage, and the per-container cache of tenants read on a request path."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import dynamodb_client, error_code, from_item, throttling_as_busy, to_item
from invoice_hub.errors import NotFound
from invoice_hub.models.tenant import Tenant

#: how long a container trusts a tenant it read (destinations change rarely)
CACHE_SECONDS = 60


class TenantRepository:
    def __init__(self, table_name: str) -> None:
        self.table = table_name
        self.client = dynamodb_client()
        self._cache: dict[UUID, tuple[float, Tenant]] = {}

    @staticmethod
    def to_item(tenant: Tenant) -> dict[str, Any]:
        return to_item({**keys.tenant_key(tenant.id), "entity": "TENANT", **tenant.model_dump(mode="json")})

    def put(self, tenant: Tenant) -> None:
        with throttling_as_busy():
            self.client.put_item(TableName=self.table, Item=self.to_item(tenant))
        self._cache.pop(tenant.id, None)

    def put_if_absent(self, tenant: Tenant) -> bool:
        """Stores the tenant unless it exists; True when it was created now."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=self.to_item(tenant),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
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
        data = from_item(item)
        tenant = Tenant.model_validate({k: v for k, v in data.items() if k in Tenant.model_fields})
        self._cache[tenant_id] = (time.monotonic() + CACHE_SECONDS, tenant)
        return tenant


@lru_cache(maxsize=4)
def tenant_repository(settings: Settings) -> TenantRepository:
    return TenantRepository(settings.table_name)
