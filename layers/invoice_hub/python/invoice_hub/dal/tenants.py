"""Tenant storage."""

from __future__ import annotations

from botocore.exceptions import ClientError

from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import dynamodb_client, error_code, to_item
from invoice_hub.models.tenant import Tenant


class TenantRepository:
    def __init__(self, table_name: str) -> None:
        self.table = table_name
        self.client = dynamodb_client()

    def put_if_absent(self, tenant: Tenant) -> bool:
        """Stores the tenant unless it exists; True when it was created now."""
        item = {**keys.tenant_key(tenant.id), "entity": "TENANT", **tenant.model_dump(mode="json")}
        try:
            self.client.put_item(
                TableName=self.table, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
