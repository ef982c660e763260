"""Configuration: a validated model, read once per cold start and passed down."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    user_pool_id: str = Field(min_length=1)
    user_pool_client_id: str = Field(min_length=1)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    # sending (only the functions that send or re-drive have these set)
    send_queue_url: str | None = None
    send_dlq_url: str | None = None
    send_dlq_arn: str | None = None
    max_receive_count: int = Field(default=5, ge=1)
    send_backoff_seconds: int = Field(default=10, ge=0, description="first visibility back-off of a retry")
    external_timeout_seconds: float = Field(default=10, gt=0, le=25)
    retry_backoff_seconds: int = Field(default=300, ge=0, description="first scheduled re-drive delay")
    max_redrive_rounds: int = Field(default=3, ge=0)
    stuck_after_seconds: int = Field(
        default=900, ge=1, description="PENDING this long after queueing: enqueue again"
    )
    dlq_retention_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    day_seconds: int = Field(
        default=86400, ge=1, description="a sending rule's day (delayInDays): seconds locally, to watch"
    )
    # documents and channels (the Sender and the functions that serve a PDF)
    documents_bucket: str | None = None
    # the stack's render function (decision 029); none: the document is rendered in this process
    render_function: str | None = None
    document_url_seconds: int = Field(default=300, ge=1, le=3600, description="a presigned PDF URL's life")
    payment_link_base: str = Field(default="https://pay.invoice-hub.example/invoices", pattern=r"^https?://")
    ses_configuration_set: str | None = None
    sms_sender_id: str | None = None  # the origination identity (a phone number, pool or sender ID)
    sms_configuration_set: str | None = None  # End User Messaging's, whose events report the texts
    sms_api_url: str | None = None  # End User Messaging's own by default; the local stack's fake
    voice_api_url: str | None = None
    voice_api_key_parameter: str | None = None
    print_mail_api_url: str | None = None
    print_mail_api_key_parameter: str | None = None
    stripe_api_key_parameter: str | None = None
    stripe_api_base: str | None = None  # Stripe's own by default; the local stack's fake
    stripe_webhook_secret_parameter: str | None = None  # the webhook endpoint's signing secret (whsec_...)
    voice_webhook_secret_parameter: str | None = None  # the voice provider's webhook signing secret
    print_mail_webhook_secret_parameter: str | None = None  # the print-and-mail provider's
    # practices' webhooks (Decoda's): the key their secrets are sealed with, and the local stack's
    # allowance of plain http to loopback (never set on AWS: a webhook is https to a public address)
    encryption_key_id: str | None = None
    webhook_allow_loopback: bool = False

    @field_validator(
        "ses_configuration_set",
        "render_function",
        "sms_sender_id",
        "sms_configuration_set",
        "sms_api_url",
        "voice_api_url",
        "print_mail_api_url",
        "stripe_api_base",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """A template parameter left empty ("") means: not configured."""
        return None if value == "" else value

    def queue_urls(self) -> tuple[str, str, str]:
        """(SendQueue URL, SendDLQ URL, SendDLQ ARN); a function without them is misconfigured."""
        if not (self.send_queue_url and self.send_dlq_url and self.send_dlq_arn):
            raise RuntimeError("SEND_QUEUE_URL, SEND_DLQ_URL and SEND_DLQ_ARN must be set for this function")
        return self.send_queue_url, self.send_dlq_url, self.send_dlq_arn

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        return cls.model_validate(
            {name: env[name.upper()] for name in cls.model_fields if name.upper() in env}
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this container: read on first use, then reused."""
    return Settings.from_environ()


class ClientSettings(BaseModel):
    """What the AWS clients of the layer need, apart from (and before) a function's Settings: the ops
    command and the local stack's tools use the same clients with no TABLE_NAME set."""

    model_config = ConfigDict(frozen=True)

    #: DynamoDB's connect and read timeout. AWS answers in milliseconds, so 5 s is already a fault; the
    #: local stack's moto serves one call at a time and sets more (DYNAMODB_TIMEOUT_SECONDS)
    dynamodb_timeout_seconds: float = Field(default=5, gt=0, le=120)


@lru_cache(maxsize=1)
def get_client_settings() -> ClientSettings:
    env = os.environ
    return ClientSettings.model_validate(
        {name: env[name.upper()] for name in ClientSettings.model_fields if name.upper() in env}
    )
