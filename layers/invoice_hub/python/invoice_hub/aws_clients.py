"""The AWS clients of this container: one botocore session, created on first use, and every client made
from it (docs/decisions/025-one-botocore-session.md).

boto3 adds nothing a client of this layer uses (its resources and S3 transfer methods are not used), and
importing it costs a cold start about 20 ms of CPU: its package `__init__` imports s3transfer, and with it
`multiprocessing`. botocore resolves the region, the credentials, `AWS_ENDPOINT_URL` and the retry and
timeout settings exactly as it does under boto3, which only hands them on. One session, as boto3's
default session is one, so credentials are resolved once per container, whatever the clients.

Its data loader skips two costs of a first client (`aws_data.py`, decision 026): the listing of every
service botocore knows, and the endpoint data of every service but `SERVICES`, the layer's own; so
`client` makes clients of those services only.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.session import Session


#: every service the layer makes clients of (botocore's names): botocore_endpoints.json holds their
#: endpoint data, and `python -m invoice_hub_local.botocore_endpoints --write` makes it from this list
SERVICES = frozenset(
    {"cognito-idp", "dynamodb", "kms", "lambda", "pinpoint-sms-voice-v2", "s3", "sesv2", "sqs", "ssm"}
)


@lru_cache(maxsize=1)
def session() -> Session:
    from botocore.session import get_session

    from invoice_hub import aws_data

    made = get_session()
    made.register_component("data_loader", aws_data.loader(made.get_config_variable("data_path")))
    return made


def client(service_name: str, **kwargs: Any) -> Any:
    """A new client of `service_name` (`config=`, `endpoint_url=`, ... as boto3.client takes them); the
    callers cache theirs, once per container."""
    if service_name not in SERVICES:
        raise ValueError(
            f"{service_name} is not in aws_clients.SERVICES: add it, then regenerate its endpoint data"
        )
    return session().create_client(service_name, **kwargs)
