"""The AWS clients of this container: one botocore session, created on first use, and every client made
from it (docs/decisions/025-one-botocore-session.md).

boto3 adds nothing a client of this layer uses (its resources and S3 transfer methods are not used), and
importing it costs a cold start about 20 ms of CPU: its package `__init__` imports s3transfer, and with it
`multiprocessing`. botocore resolves the region, the credentials, `AWS_ENDPOINT_URL` and the retry and
timeout settings exactly as it does under boto3, which only hands them on. One session, as boto3's
default session is one, so credentials are resolved once per container, whatever the clients.

Its data loader skips two costs of a first client (`aws_data.py`, decision 026): the listing of every
service botocore knows, and the endpoint data of every service but `SERVICES`, the layer's own; so
`client` makes clients of those services only. And it reads each service's model with the `OPERATIONS`
the layer calls only, without documentation (decision 030): a client made from botocore's whole model
builds a method for each of its operations, and S3's, SSM's and Lambda's models are 0.5-1.4 MB of JSON.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.session import Session


#: every operation of every service the layer calls (botocore's names). The layer's clients are made from
#: models of these operations alone (botocore_models.json, decision 030), so calling any other is an
#: AttributeError: add it here, then run `python -m invoice_hub_local.botocore_models --write`. S3's
#: HeadBucket and CreateSession and DynamoDB's DescribeEndpoints are botocore's own calls (a bucket's region,
#: S3 Express, endpoint discovery).
OPERATIONS: dict[str, frozenset[str]] = {
    "cognito-idp": frozenset(
        {
            "AdminAddUserToGroup",
            "AdminCreateUser",
            "AdminSetUserPassword",
            "CreateGroup",
            "DeleteGroup",
            "InitiateAuth",
        }
    ),
    "dynamodb": frozenset(
        {
            "BatchGetItem",
            "DeleteItem",
            "DescribeEndpoints",
            "GetItem",
            "PutItem",
            "Query",
            "TransactWriteItems",
            "UpdateItem",
        }
    ),
    "kms": frozenset({"Decrypt", "Encrypt"}),
    "lambda": frozenset({"Invoke"}),
    "pinpoint-sms-voice-v2": frozenset({"SendTextMessage"}),
    "s3": frozenset(
        {
            "CreateSession",
            "DeleteObjects",
            "GetObject",
            "HeadBucket",
            "HeadObject",
            "ListObjectsV2",
            "PutObject",
        }
    ),
    "sesv2": frozenset({"SendEmail"}),
    "sqs": frozenset(
        {
            "ChangeMessageVisibility",
            "ListMessageMoveTasks",
            "SendMessage",
            "SendMessageBatch",
            "StartMessageMoveTask",
        }
    ),
    "ssm": frozenset({"GetParameter"}),
}
#: every service the layer makes clients of (botocore's names): botocore_endpoints.json holds their
#: endpoint data, and `python -m invoice_hub_local.botocore_endpoints --write` makes it from this list
SERVICES = frozenset(OPERATIONS)


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
