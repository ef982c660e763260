"""Webhooks over the single table: a tenant's webhooks in one partition (`T#<tenant>#HOOK`), so the
events of a change find every webhook they may go to with one Query.

A webhook's signing secret is encrypted field by field with the stack's KMS key (the encryption context
names the tenant and the webhook, so a ciphertext copied to another item does not decrypt): the table's
own encryption at rest keeps it from the disks, this keeps it from whoever may read items (a table
export, the stream's images, an operator's scan). The secret is decrypted only by the Sender, when it
signs an event; with the webhook's URL (read at each attempt, so an event failing at an old URL goes to
the mended one when retried), it is kept for a minute per container.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from invoice_hub import aws_clients
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
from invoice_hub.domain.errors import NotFound
from invoice_hub.domain.webhook import EventType, Webhook

ENTITY = "WEBHOOK"
#: how long a container keeps a webhook's URL and decrypted secret (a changed URL is used, and a deleted
#: webhook's events stop, within this time)
SIGNING_SECONDS = 60
#: webhooks of one practice (each event of a change is one send per subscribed webhook)
MAX_WEBHOOKS = 20


class WebhookNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Webhook not found")


def new_secret() -> str:
    """32 hex digits, as Decoda's secrets are: the HMAC key of `Decoda-Signature` as text, and, read as
    base64, the 24-byte key of the Standard Webhooks signature."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Signing:
    """Where a webhook's events go now and the secret they are signed with."""

    url: str
    secret: str

    def __repr__(self) -> str:  # a secret never reaches a log line or a traceback
        return f"Signing(url={self.url!r})"


class WebhookRepository:
    def __init__(self, table_name: str, key_id: str | None, client: Any = None, kms: Any = None) -> None:
        self.table = table_name
        self.key_id = key_id
        self.client = client or dynamodb_client()
        self._kms: Any = kms
        self._signing: dict[UUID, tuple[float, Signing | None]] = {}

    @property
    def kms(self) -> Any:
        if self._kms is None:
            self._kms = aws_clients.client("kms")
        return self._kms

    @staticmethod
    def _context(tenant_id: UUID, webhook_id: UUID) -> dict[str, str]:
        return {"tenant_id": str(tenant_id), "webhook_id": str(webhook_id)}

    def _item(self, webhook: Webhook, sealed_secret: str) -> dict[str, Any]:
        return to_item(
            {
                **keys.webhook_key(webhook.tenant_id, webhook.id),
                "entity": ENTITY,
                **webhook.model_dump(mode="json", exclude_none=True),
                "secret": sealed_secret,
            }
        )

    @staticmethod
    def _webhook(item: dict[str, Any]) -> Webhook:
        data = from_item(item)
        return Webhook.model_validate({k: v for k, v in data.items() if k in Webhook.model_fields})

    # -- writes --------------------------------------------------------------------------------------
    def create(self, webhook: Webhook, secret: str) -> None:
        if not self.key_id:
            raise RuntimeError("ENCRYPTION_KEY_ID must be set for a function that creates webhooks")
        sealed = self.kms.encrypt(
            KeyId=self.key_id,
            Plaintext=secret.encode(),
            EncryptionContext=self._context(webhook.tenant_id, webhook.id),
        )["CiphertextBlob"]
        with throttling_as_busy():
            self.client.put_item(
                TableName=self.table,
                Item=self._item(webhook, base64.b64encode(sealed).decode()),
                ConditionExpression="attribute_not_exists(PK)",
            )

    def update(self, webhook: Webhook) -> None:
        """Writes the webhook's url, subscriptions and notification e-mail (not its secret)."""
        names = {"#url": "url", "#subs": "subscriptions", "#updated": "updated_at"}
        values: dict[str, Any] = {
            ":url": webhook.url,
            ":subs": [str(s) for s in webhook.subscriptions],
            ":updated": webhook.updated_at.isoformat() if webhook.updated_at else None,
        }
        expression = "SET #url = :url, #subs = :subs, #updated = :updated"
        if webhook.notification_email is None:
            expression += " REMOVE notification_email"
        else:
            expression += ", notification_email = :email"
            values[":email"] = webhook.notification_email
        try:
            with throttling_as_busy():
                self.client.update_item(
                    TableName=self.table,
                    Key=to_item(keys.webhook_key(webhook.tenant_id, webhook.id)),
                    UpdateExpression=expression,
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=to_item(values),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise WebhookNotFound() from error
            raise
        self._signing.pop(webhook.id, None)

    def delete(self, tenant_id: UUID, webhook_id: UUID) -> None:
        try:
            with throttling_as_busy():
                self.client.delete_item(
                    TableName=self.table,
                    Key=to_item(keys.webhook_key(tenant_id, webhook_id)),
                    ConditionExpression="attribute_exists(PK)",
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise WebhookNotFound() from error
            raise
        self._signing.pop(webhook_id, None)

    # -- reads ---------------------------------------------------------------------------------------
    def get(self, tenant_id: UUID, webhook_id: UUID) -> Webhook:
        with throttling_as_busy():
            item = self.client.get_item(
                TableName=self.table,
                Key=to_item(keys.webhook_key(tenant_id, webhook_id)),
                ConsistentRead=True,
            ).get("Item")
        if not item:
            raise WebhookNotFound()
        return self._webhook(item)

    def of_tenant(self, tenant_id: UUID) -> list[Webhook]:
        request = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.webhooks_of_tenant(tenant_id)}),
        }
        return [self._webhook(item) for item in query_pages(self.client, request)]

    def subscribed(self, tenant_id: UUID, event_type: EventType) -> list[Webhook]:
        return [webhook for webhook in self.of_tenant(tenant_id) if webhook.wants(event_type)]

    def signing(self, tenant_id: UUID, webhook_id: UUID) -> Signing | None:
        """The webhook's URL and signing secret (None: it was deleted), cached for SIGNING_SECONDS."""
        cached = self._signing.get(webhook_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with throttling_as_busy():
            item = self.client.get_item(
                TableName=self.table,
                Key=to_item(keys.webhook_key(tenant_id, webhook_id)),
                ProjectionExpression="#u, #s",
                ExpressionAttributeNames={"#u": "url", "#s": "secret"},
            ).get("Item")
        found: Signing | None = None
        if item:
            data = from_item(item)
            sealed = base64.b64decode(str(data["secret"]))
            secret = self.kms.decrypt(
                CiphertextBlob=sealed, EncryptionContext=self._context(tenant_id, webhook_id)
            )["Plaintext"].decode()
            found = Signing(url=str(data["url"]), secret=secret)
        self._signing[webhook_id] = (time.monotonic() + SIGNING_SECONDS, found)
        return found


@lru_cache(maxsize=4)
def webhook_repository(settings: Settings) -> WebhookRepository:
    return WebhookRepository(settings.table_name, settings.encryption_key_id)
