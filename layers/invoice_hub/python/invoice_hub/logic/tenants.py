"""Tenants as operators create them: the tenant (with its unique slug) and its Cognito group."""

from __future__ import annotations

from uuid import UUID

from invoice_hub.auth import tenant_group
from invoice_hub.dal.identity import CognitoDirectory
from invoice_hub.dal.tenants import TenantExists, TenantRepository
from invoice_hub.domain.delivery import Destination
from invoice_hub.domain.tenant import Tenant

PAYER_HUB = "demo-payer-hub"
PATIENT_CHANNEL = "patient-channel"


def tenant_at(
    tenant_id: UUID,
    slug: str,
    name: str,
    external_url: str | None = None,
    credential_parameter: str | None = None,
) -> Tenant:
    """A tenant; with `external_url`, one that sends issued invoices to the payer hub at
    `<external_url>/payer-hub/<slug>` (the layout of the local fake external systems), the hub's token
    read from the SSM parameter named, and that bills its patients: its patient channel is the stack's
    channels (SES, End User Messaging SMS, the voice, print-and-mail and Stripe providers, by method);
    the channel's `<external_url>/patients/<slug>` endpoint is kept as its record, not sent to."""
    if external_url is None:
        return Tenant(id=tenant_id, slug=slug, name=name)
    base = external_url.rstrip("/")
    return Tenant(
        id=tenant_id,
        slug=slug,
        name=name,
        destinations=(
            Destination(
                name=PAYER_HUB,
                kind="payer_hub",
                endpoint_url=f"{base}/payer-hub/{slug}",
                credential_parameter=credential_parameter,
            ),
        ),
        patient_channel=Destination(
            name=PATIENT_CHANNEL, kind="patient_channel", endpoint_url=f"{base}/patients/{slug}"
        ),
    )


def create_tenant(tenants: TenantRepository, directory: CognitoDirectory, tenant: Tenant) -> Tenant:
    """Creates the tenant's Cognito group, then the tenant; TenantExists (and no group left behind)
    when the slug is taken."""
    group = tenant_group(tenant.id)
    created_group = directory.ensure_group(group, tenant.slug)
    try:
        tenants.create(tenant)
    except TenantExists:
        if created_group:
            directory.delete_group(group)
        raise
    return tenant
