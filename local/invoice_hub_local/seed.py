"""Demo data for the local stack, written idempotently (running it twice changes nothing).

These credentials exist only in this local seed data; no deployed stack has them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from invoice_hub.auth import ADMIN_GROUP, tenant_group
from invoice_hub.dal.tenants import TenantRepository
from invoice_hub.models.tenant import Tenant


def demo_tenant_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://invoice-hub.local/tenants/{slug}")


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    tenant_slug: str
    admin: bool = False


DEMO_TENANTS = (
    Tenant(id=demo_tenant_id("demo-practice"), slug="demo-practice", name="Demo Practice"),
    Tenant(id=demo_tenant_id("other-practice"), slug="other-practice", name="Other Practice"),
)
DEMO_USERS = (
    DemoUser("demo@invoice-hub.local", "DemoPass-123!", "demo-practice"),
    DemoUser("other@invoice-hub.local", "OtherPass-123!", "other-practice"),
    DemoUser("admin@invoice-hub.local", "AdminPass-123!", "demo-practice", admin=True),
)


def _ignore(code: str, call: Any, **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except ClientError as error:
        if error.response["Error"]["Code"] != code:
            raise


def ensure_user(cognito: Any, pool_id: str, tenant: Tenant, email: str, password: str, admin: bool) -> None:
    group = tenant_group(tenant.id)
    _ignore(
        "GroupExistsException",
        cognito.create_group,
        UserPoolId=pool_id,
        GroupName=group,
        Description=tenant.slug,
    )
    _ignore(
        "UsernameExistsException",
        cognito.admin_create_user,
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    if admin:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=ADMIN_GROUP)


def seed(cognito: Any, pool_id: str, table_name: str) -> None:
    tenants = TenantRepository(table_name)
    by_slug = {tenant.slug: tenant for tenant in DEMO_TENANTS}
    for tenant in DEMO_TENANTS:
        tenants.put_if_absent(tenant)
    for user in DEMO_USERS:
        ensure_user(cognito, pool_id, by_slug[user.tenant_slug], user.email, user.password, user.admin)
