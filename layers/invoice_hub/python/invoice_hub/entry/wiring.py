"""The use cases' dependencies, built once per container from the settings."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.dal.queue_client import send_queue
from invoice_hub.dal.tenants import tenant_repository
from invoice_hub.logic.outbox import Outbox


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    settings = get_settings()
    return Outbox(
        tenants=tenant_repository(settings),
        deliveries=delivery_repository(settings),
        queue=send_queue(settings),
        stuck_after=timedelta(seconds=settings.stuck_after_seconds),
    )
