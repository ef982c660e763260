"""Demo data for the local stack, written idempotently (running it twice changes nothing).

These credentials exist only in this local seed data; no deployed stack has them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from invoice_hub.auth import ADMIN_GROUP, tenant_group
from invoice_hub.dal.credentials import Credential, CredentialRepository
from invoice_hub.dal.identity import CognitoDirectory
from invoice_hub.dal.tenants import TenantRepository
from invoice_hub.domain.tenant import Tenant
from invoice_hub.logic.tenants import tenant_at


def demo_tenant_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://invoice-hub.local/tenants/{slug}")


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    tenant_slug: str
    admin: bool = False


#: the payer hub's token, as operators store destination credentials: an SSM SecureString
PAYER_HUB_TOKEN_PARAMETER = "/invoice-hub/dev/destinations/demo-payer-hub/token"
#: the channels' provider keys (the template's *_KEY_PARAMETER names for Stage dev), for the local fakes
PROVIDER_KEYS = {
    "/invoice-hub/dev/providers/voice/api-key": "local-voice-key",
    "/invoice-hub/dev/providers/print-mail/api-key": "local-print-mail-key",
    "/invoice-hub/dev/providers/stripe/secret-key": "sk_test_local",
    "/invoice-hub/dev/providers/stripe/webhook-secret": "whsec_local_demo_only",
    "/invoice-hub/dev/providers/voice/webhook-secret": "local-voice-webhook-secret",
    "/invoice-hub/dev/providers/print-mail/webhook-secret": "local-print-mail-webhook-secret",
}
#: the local Stripe webhook endpoint's signing secret (the fake Stripe signs its events with it)
STRIPE_WEBHOOK_SECRET = PROVIDER_KEYS["/invoice-hub/dev/providers/stripe/webhook-secret"]
VOICE_WEBHOOK_SECRET = PROVIDER_KEYS["/invoice-hub/dev/providers/voice/webhook-secret"]
PRINT_MAIL_WEBHOOK_SECRET = PROVIDER_KEYS["/invoice-hub/dev/providers/print-mail/webhook-secret"]


def email_identity(slug: str) -> str:
    """The practice's sending address, verified in the local SES (moto) by `seed`."""
    return f"billing@{slug}.invoice-hub.local"


def local_tenant(tenant_id: uuid.UUID, slug: str, name: str, external_url: str) -> Tenant:
    """A practice whose payer hub and patient channel are the fake external systems."""
    tenant = tenant_at(tenant_id, slug, name, external_url, PAYER_HUB_TOKEN_PARAMETER)
    return tenant.model_copy(
        update={"address": "1 Harbour Street, Springfield, IL 62701", "email_identity": email_identity(slug)}
    )


def demo_tenants(external_url: str) -> tuple[Tenant, ...]:
    return tuple(
        local_tenant(demo_tenant_id(slug), slug, name, external_url)
        for slug, name in (("demo-practice", "Demo Practice"), ("other-practice", "Other Practice"))
    )


#: Decoda API keys (TENANT header, API-KEY header) of the demo practices
DEMO_API_KEYS = (("demo-practice", "demo-api-key"), ("other-practice", "other-api-key"))
#: eBillingHub producers (ProducerId header, ProviderKey header) of the demo practices
DEMO_PROVIDER_KEYS = (
    ("demo-practice", "demo-producer", "demo-provider-key"),
    ("other-practice", "other-producer", "other-provider-key"),
)
DEMO_USERS = (
    DemoUser("demo@invoice-hub.local", "DemoPass-123!", "demo-practice"),
    DemoUser("other@invoice-hub.local", "OtherPass-123!", "other-practice"),
    DemoUser("admin@invoice-hub.local", "AdminPass-123!", "demo-practice", admin=True),
)


def ensure_user(cognito: Any, pool_id: str, tenant: Tenant, email: str, password: str, admin: bool) -> None:
    directory = CognitoDirectory(pool_id, cognito)
    group = tenant_group(tenant.id)
    directory.ensure_group(group, tenant.slug)
    directory.ensure_user(email, password, [group, ADMIN_GROUP] if admin else [group])


def seed(cognito: Any, ssm: Any, pool_id: str, table_name: str, external_url: str, ses: Any = None) -> None:
    ssm.put_parameter(
        Name=PAYER_HUB_TOKEN_PARAMETER, Value="local-payer-hub-token", Type="SecureString", Overwrite=True
    )
    for name, value in PROVIDER_KEYS.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    tenants = TenantRepository(table_name)
    by_slug = {tenant.slug: tenant for tenant in demo_tenants(external_url)}
    for tenant in by_slug.values():
        tenants.put(tenant)
        if ses is not None and tenant.email_identity:
            verify_identity(ses, tenant.email_identity)
    for user in DEMO_USERS:
        ensure_user(cognito, pool_id, by_slug[user.tenant_slug], user.email, user.password, user.admin)
    credentials = CredentialRepository(table_name)
    for slug, key in DEMO_API_KEYS:
        credentials.put(key, Credential(kind="api-key", tenant_id=by_slug[slug].id, name=slug))
    for slug, producer, key in DEMO_PROVIDER_KEYS:
        credentials.put(key, Credential(kind="provider-key", tenant_id=by_slug[slug].id, name=producer))


def verify_identity(ses: Any, address: str) -> None:
    """The address as a verified SES identity (moto verifies at once; on AWS the owner clicks a link)."""
    ses.verify_email_identity(EmailAddress=address)
