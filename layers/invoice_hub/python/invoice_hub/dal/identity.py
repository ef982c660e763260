"""Cognito: the identity store behind POST /auth/token, and its tenant groups and users."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from invoice_hub import aws_clients
from invoice_hub.dal.dynamo import THROTTLING_CODES, error_code
from invoice_hub.domain.errors import InvalidCredentials, InvoiceHubError, ServiceBusy

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
    return aws_clients.client("cognito-idp", config=Config(retries={"mode": "standard", "max_attempts": 3}))


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


class UserExists(InvoiceHubError):
    """The username is taken (an e-mail address names one user)."""


class CognitoDirectory:
    """The user pool as operators change it: tenant groups and users (the ops command, the local seed)."""

    def __init__(self, user_pool_id: str, client: Any = None) -> None:
        self.pool_id = user_pool_id
        self.client = client or cognito_client()

    def ensure_group(self, group: str, description: str) -> bool:
        """Creates the group unless it exists; True when it was created now."""
        try:
            self.client.create_group(UserPoolId=self.pool_id, GroupName=group, Description=description)
        except ClientError as error:
            if error_code(error) == "GroupExistsException":
                return False
            raise
        return True

    def delete_group(self, group: str) -> None:
        self.client.delete_group(UserPoolId=self.pool_id, GroupName=group)

    def ensure_user(self, email: str, password: str, groups: Sequence[str]) -> bool:
        """The user, signed in with this password (no change asked for) and member of `groups`;
        True when the user was created now. The groups must exist."""
        try:
            self.create_user(email, password, groups)
        except UserExists:
            self._join(email, password, groups)
            return False
        return True

    def create_user(self, email: str, password: str, groups: Sequence[str]) -> None:
        """A new user with this password and these groups; UserExists if the username is taken."""
        try:
            self.client.admin_create_user(
                UserPoolId=self.pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                MessageAction="SUPPRESS",
            )
        except ClientError as error:
            if error_code(error) == "UsernameExistsException":
                raise UserExists(f"the user {email} exists already") from error
            raise
        self._join(email, password, groups)

    def _join(self, email: str, password: str, groups: Sequence[str]) -> None:
        self.client.admin_set_user_password(
            UserPoolId=self.pool_id, Username=email, Password=password, Permanent=True
        )
        for group in groups:
            self.client.admin_add_user_to_group(UserPoolId=self.pool_id, Username=email, GroupName=group)


def new_password() -> str:
    """A password the pool's policy accepts (12+ characters, upper, lower, digit, symbol)."""
    return f"{secrets.token_urlsafe(18)}-Aa1!"
