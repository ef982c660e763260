"""Configuration: a validated model, read once per cold start and passed down."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    user_pool_id: str = Field(min_length=1)
    user_pool_client_id: str = Field(min_length=1)
    jwt_issuer: str = Field(min_length=1)
    jwks_url: str = Field(min_length=1)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, gt=0)

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
