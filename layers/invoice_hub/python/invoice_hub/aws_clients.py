"""The AWS clients of this container: one botocore session, created on first use, and every client made
from it (docs/decisions/025-one-botocore-session.md).

boto3 adds nothing a client of this layer uses (its resources and S3 transfer methods are not used), and
importing it costs a cold start about 20 ms of CPU: its package `__init__` imports s3transfer, and with it
`multiprocessing`. botocore resolves the region, the credentials, `AWS_ENDPOINT_URL` and the retry and
timeout settings exactly as it does under boto3, which only hands them on. One session, as boto3's
default session is one, so credentials are resolved once per container, whatever the clients.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.session import Session


@lru_cache(maxsize=1)
def session() -> Session:
    from botocore.session import get_session

    return get_session()


def client(service_name: str, **kwargs: Any) -> Any:
    """A new client of `service_name` (`config=`, `endpoint_url=`, ... as boto3.client takes them); the
    callers cache theirs, once per container."""
    return session().create_client(service_name, **kwargs)
