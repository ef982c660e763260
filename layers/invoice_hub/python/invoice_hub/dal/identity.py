"""Cognito: the identity store behind POST /auth/token."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from invoice_hub.dal.dynamo import THROTTLING_CODES, error_code
from invoice_hub.errors import InvalidCredentials, ServiceBusy

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

#: sign-in failures that all read "Incorrect username or password" (no hint of which part was wrong)
BAD_CREDENTIALS = frozenset(
    {
        "NotAuthorizedException",
        "UserNotFoundException",
        "UserNotConfirmedException",
        "PasswordResetRequiredException",
    }
)


@lru_cache(maxsize=1)
def cognito_client() -> CognitoIdentityProviderClient:
    return boto3.client("cognito-idp", config=Config(retries={"mode": "standard", "max_attempts": 3}))


class CognitoIdentity:
    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.client = cognito_client()

    def access_token(self, username: str, password: str) -> tuple[str, int]:
        """(access token, seconds it lives) for a username and password (USER_PASSWORD_AUTH)."""
        try:
            response = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as error:
            code = error_code(error)
            if code in BAD_CREDENTIALS or code == "InvalidParameterException":
                raise InvalidCredentials("Incorrect username or password") from error
            if code in THROTTLING_CODES or code == "TooManyRequestsException":
                raise ServiceBusy() from error
            raise
        result = response.get("AuthenticationResult")
        if not result:  # a challenge (new password, MFA) that this grant cannot answer
            raise InvalidCredentials(
                "The user must complete sign-in (e.g. set a new password) before using the API"
            )
        return result["AccessToken"], int(result.get("ExpiresIn", 3600))
