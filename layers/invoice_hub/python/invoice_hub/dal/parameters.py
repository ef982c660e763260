"""SSM Parameter Store: the providers' keys and webhook secrets (SecureStrings), read with the container's
botocore session and kept for a while per name, as Powertools' parameters utility kept them (which
imports boto3 for its client: decision 025)."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from invoice_hub import aws_clients


class ParameterUnavailable(Exception):
    """The parameter could not be read (missing, not allowed, or SSM out of reach)."""


@lru_cache(maxsize=1)
def ssm_client() -> Any:
    return aws_clients.client("ssm")


#: name -> (monotonic time it expires, value)
_kept: dict[str, tuple[float, str]] = {}


def secure_string(name: str, max_age: float = 300) -> str:
    """The parameter's value, decrypted; read again once `max_age` seconds have passed."""
    now = time.monotonic()
    kept = _kept.get(name)
    if kept is not None and kept[0] > now:
        return kept[1]
    try:
        value = str(ssm_client().get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
    except (ClientError, BotoCoreError, KeyError) as error:
        raise ParameterUnavailable(name) from error
    _kept[name] = (now + max_age, value)
    return value
