"""Rule sets over the single table, each one item with its rules (`T#<tenant>#RULESET`, `SET#<id>`):
a practice has a handful, so one Query lists every rule, and a rule set's rules change in one write."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from invoice_hub.config import Settings
from invoice_hub.dal import keys
from invoice_hub.dal.dynamo import (
    dynamodb_client,
    error_code,
    from_item,
    query_pages,
    throttling_as_busy,
    to_item,
)
from invoice_hub.domain.errors import NotFound, VersionConflict
from invoice_hub.domain.rules import RuleSet

ENTITY = "RULE_SET"


class RuleSetNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Rule set not found")


class RuleSetRepository:
    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table = table_name
        self.client = client or dynamodb_client()

    @staticmethod
    def _rule_set(item: dict[str, Any]) -> RuleSet:
        data = from_item(item)
        return RuleSet.model_validate({k: v for k, v in data.items() if k in RuleSet.model_fields})

    def get(self, tenant_id: UUID, rule_set_id: UUID) -> RuleSet:
        with throttling_as_busy():
            item = self.client.get_item(
                TableName=self.table,
                Key=to_item(keys.rule_set_key(tenant_id, rule_set_id)),
                ConsistentRead=True,
            ).get("Item")
        if not item:
            raise RuleSetNotFound()
        return self._rule_set(item)

    def of_tenant(self, tenant_id: UUID) -> list[RuleSet]:
        request = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.rule_sets_of_tenant(tenant_id)}),
        }
        found = [self._rule_set(item) for item in query_pages(self.client, request)]
        return sorted(found, key=lambda s: (s.created_at, str(s.id)))

    def put(self, rule_set: RuleSet, expected: RuleSet | None = None) -> None:
        """Writes the rule set: a new one only if its id is free, a changed one only if it is still as
        `expected` was read (its version)."""
        item = to_item(
            {
                **keys.rule_set_key(rule_set.tenant_id, rule_set.id),
                "entity": ENTITY,
                **rule_set.model_dump(mode="json", exclude_none=True),
            }
        )
        if expected is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": to_item({":expected": expected.version}),
            }
        try:
            with throttling_as_busy():
                self.client.put_item(TableName=self.table, Item=item, **condition)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise VersionConflict("the rule set changed meanwhile; read it again and retry") from error
            raise

    def delete(self, tenant_id: UUID, rule_set_id: UUID) -> None:
        try:
            with throttling_as_busy():
                self.client.delete_item(
                    TableName=self.table,
                    Key=to_item(keys.rule_set_key(tenant_id, rule_set_id)),
                    ConditionExpression="attribute_exists(PK)",
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise RuleSetNotFound() from error
            raise


@lru_cache(maxsize=4)
def rule_set_repository(settings: Settings) -> RuleSetRepository:
    return RuleSetRepository(settings.table_name)
