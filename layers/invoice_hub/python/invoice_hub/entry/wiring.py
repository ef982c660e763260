"""The composition root: every dependency of the use cases, built once per container from the settings.

The HTTP facades and handlers, the SendQueue consumer and the schedule take what they need from here;
nothing else builds a repository, a queue client or a use case. Each builder imports what it builds, so a
function loads only the modules it uses (the Sender's HTTP client is not an API function's cold start).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from invoice_hub.config import get_settings

if TYPE_CHECKING:
    import httpx

    from invoice_hub.connectors.base import Connector
    from invoice_hub.dal.credentials import CredentialRepository
    from invoice_hub.dal.deliveries import DeliveryRepository
    from invoice_hub.dal.identity import CognitoIdentity
    from invoice_hub.dal.invoices import InvoiceRepository
    from invoice_hub.dal.patients import PatientRepository
    from invoice_hub.dal.queue_client import SendQueue
    from invoice_hub.dal.tenants import TenantRepository
    from invoice_hub.dal.webhooks import WebhookRepository
    from invoice_hub.domain.document import InvoiceDocument
    from invoice_hub.logic.delivering import Channels, Sender
    from invoice_hub.logic.documents import Documents
    from invoice_hub.logic.feedback import Feedback
    from invoice_hub.logic.invoice_table import InvoiceTable
    from invoice_hub.logic.outbox import Outbox
    from invoice_hub.logic.parcels import Composer
    from invoice_hub.logic.patient_bills import PatientBills
    from invoice_hub.logic.payer_statuses import PayerStatuses
    from invoice_hub.logic.payer_submissions import Submissions
    from invoice_hub.logic.payments import Payments
    from invoice_hub.logic.rules import RuleSets
    from invoice_hub.logic.settlements import Settlements
    from invoice_hub.logic.webhooks import Fact, FailureNotice, Fanout, Webhooks


def invoices() -> InvoiceRepository:
    from invoice_hub.dal.invoices import invoice_repository

    return invoice_repository(get_settings())


def patients() -> PatientRepository:
    from invoice_hub.dal.patients import patient_repository

    return patient_repository(get_settings())


def deliveries() -> DeliveryRepository:
    from invoice_hub.dal.deliveries import delivery_repository

    return delivery_repository(get_settings())


def tenants() -> TenantRepository:
    from invoice_hub.dal.tenants import tenant_repository

    return tenant_repository(get_settings())


def credentials() -> CredentialRepository:
    from invoice_hub.dal.credentials import credential_repository

    return credential_repository(get_settings())


def webhooks() -> WebhookRepository:
    from invoice_hub.dal.webhooks import webhook_repository

    return webhook_repository(get_settings())


def queue() -> SendQueue:
    from invoice_hub.dal.queue_client import send_queue

    return send_queue(get_settings())


def identity() -> CognitoIdentity:
    from invoice_hub.dal.identity import CognitoIdentity

    return CognitoIdentity(get_settings().user_pool_client_id)


def stuck_after() -> timedelta:
    """How long a queued send may go unhandled before the schedule enqueues it again."""
    return timedelta(seconds=get_settings().stuck_after_seconds)


@lru_cache(maxsize=1)
def outbox() -> Outbox:
    from invoice_hub.logic.outbox import Outbox

    return Outbox(tenants=tenants(), deliveries=deliveries(), queue=queue(), stuck_after=stuck_after())


@lru_cache(maxsize=1)
def patient_bills() -> PatientBills:
    from invoice_hub.logic.patient_bills import PatientBills

    return PatientBills(
        invoices=invoices(), outbox=outbox(), day=timedelta(seconds=get_settings().day_seconds)
    )


@lru_cache(maxsize=1)
def submissions() -> Submissions:
    from invoice_hub.logic.payer_submissions import Submissions

    return Submissions(invoices=invoices(), outbox=outbox())


@lru_cache(maxsize=1)
def payer_statuses() -> PayerStatuses:
    """The reads of payer sends' statuses: the sends alone (no invoices, no queue)."""
    from invoice_hub.logic.payer_statuses import PayerStatuses

    return PayerStatuses(deliveries())


def read_credential(name: str) -> str:
    """A destination's credential, from SSM Parameter Store (SecureString), cached for 5 minutes."""
    from invoice_hub.dal.parameters import ParameterUnavailable, secure_string
    from invoice_hub.logic.delivering import CredentialsMissing

    try:
        return secure_string(name, max_age=300)
    except ParameterUnavailable as error:
        raise CredentialsMissing(name) from error


@lru_cache(maxsize=1)
def documents() -> Documents:
    from invoice_hub.dal.documents import document_store
    from invoice_hub.logic.documents import Documents

    settings = get_settings()

    def render_here(document: InvoiceDocument) -> bytes:
        from invoice_hub.connectors.pdf import render  # reportlab: imported on the first render only

        return render(document)

    render: Callable[[InvoiceDocument], bytes] = render_here
    if settings.render_function:  # the stack's render function renders: no reportlab here (decision 029)
        from invoice_hub.connectors.render_function import RemoteRender

        render = RemoteRender(settings.render_function)

    return Documents(
        invoices=invoices(),
        tenants=tenants(),
        patients=patients(),
        store=document_store(settings),
        render=render,
        payment_link_base=settings.payment_link_base,
        url_seconds=settings.document_url_seconds,
    )


@lru_cache(maxsize=1)
def composer() -> Composer:
    from invoice_hub.logic.parcels import Composer

    return Composer(
        tenants=tenants(),
        patients=patients(),
        invoices=invoices(),
        documents=documents(),
        webhooks=webhooks(),
    )


def channels() -> Channels:
    """Each method's connector, built on its first send (the SDKs a method needs load with it)."""
    from invoice_hub.connectors.base import Unconfigured
    from invoice_hub.connectors.http import HttpConnector, http_client
    from invoice_hub.domain.delivery import Method
    from invoice_hub.logic.delivering import Channels

    settings = get_settings()
    timeout = settings.external_timeout_seconds

    @lru_cache(maxsize=1)
    def client() -> httpx.Client:
        return http_client(timeout)

    def payer_hubs() -> Connector:
        connector = HttpConnector(timeout)
        connector.client = client()
        return connector

    def email() -> Connector:
        from invoice_hub.connectors.email import EmailConnector, ses_client

        return EmailConnector(ses_client(timeout), settings.ses_configuration_set)

    def sms() -> Connector:
        from invoice_hub.connectors.sms import SmsConnector, sms_client

        client = sms_client(timeout, settings.sms_api_url)
        return SmsConnector(client, settings.sms_configuration_set, settings.sms_sender_id)

    def voice() -> Connector:
        from invoice_hub.connectors.voice import VoiceConnector

        if not settings.voice_api_url:
            return Unconfigured("no voice provider is configured (the stack's VoiceApiUrl)")
        return VoiceConnector(client(), settings.voice_api_url, settings.voice_api_key_parameter)

    def letters() -> Connector:
        from invoice_hub.connectors.letters import LetterConnector

        if not settings.print_mail_api_url:
            return Unconfigured("no print-and-mail provider is configured (the stack's PrintMailApiUrl)")
        return LetterConnector(client(), settings.print_mail_api_url, settings.print_mail_api_key_parameter)

    def cards() -> Connector:
        from invoice_hub.connectors.cards import CardConnector

        return CardConnector(settings.stripe_api_key_parameter, settings.stripe_api_base, timeout)

    def practice_webhooks() -> Connector:
        from invoice_hub.connectors.webhooks import WebhookConnector

        return WebhookConnector(client(), settings.webhook_allow_loopback)

    def expiry() -> Connector:
        from invoice_hub.connectors.expiry import ExpiryConnector

        return ExpiryConnector()

    return Channels(
        {
            Method.EBILL: payer_hubs,
            Method.EMAIL: email,
            Method.SMS: sms,
            Method.CALL: voice,
            Method.MAIL: letters,
            Method.CHARGE_CARD: cards,
            Method.EXPIRY: expiry,
            Method.WEBHOOK: practice_webhooks,
        }
    )


@lru_cache(maxsize=1)
def payments() -> Payments:
    from invoice_hub.dal.payments import payment_ledger
    from invoice_hub.logic.payments import Payments

    return Payments(invoices(), deliveries(), payment_ledger(get_settings()))


@lru_cache(maxsize=1)
def feedback() -> Feedback:
    from invoice_hub.logic.feedback import Feedback

    return Feedback(deliveries(), queue(), stuck_after())


def stripe_webhook_secret() -> str:
    """The Stripe webhook endpoint's signing secret (SSM SecureString, cached for 5 minutes)."""
    name = get_settings().stripe_webhook_secret_parameter
    if not name:
        raise RuntimeError("STRIPE_WEBHOOK_SECRET_PARAMETER must be set for this function")
    return read_credential(name)


def provider_webhook_secret(provider: str) -> str:
    """A channel provider's (`voice`, `print-mail`) webhook signing secret, named by the function's
    <PROVIDER>_WEBHOOK_SECRET_PARAMETER (SSM SecureString, cached for 5 minutes)."""
    settings = get_settings()
    name = {
        "voice": settings.voice_webhook_secret_parameter,
        "print-mail": settings.print_mail_webhook_secret_parameter,
    }.get(provider)
    if not name:
        raise RuntimeError(f"the {provider} webhook secret's parameter must be set for this function")
    return read_credential(name)


@lru_cache(maxsize=1)
def sender() -> Sender:
    from invoice_hub.logic.delivering import Sender, SendPolicy
    from invoice_hub.logic.escalation import Escalation

    settings = get_settings()
    policy = SendPolicy(
        max_receive_count=settings.max_receive_count,
        backoff_seconds=settings.send_backoff_seconds,
        claim_seconds=int(settings.external_timeout_seconds) + 20,
        dlq_retention=timedelta(seconds=settings.dlq_retention_seconds),
        stuck_after=timedelta(seconds=settings.stuck_after_seconds),
    )
    return Sender(
        deliveries(),
        queue(),
        channels(),
        composer(),
        read_credential,
        policy,
        payments=payments(),
        owed=Escalation(invoices()).owed,
        on_given_up=webhook_failure_notice(),
    )


@lru_cache(maxsize=1)
def webhook_failure_notice() -> FailureNotice:
    from invoice_hub.logic.webhooks import FailureNotice

    def send_email(sender: str, to: str, subject: str, text: str) -> None:
        from invoice_hub.connectors.email import ses_client

        ses_client(get_settings().external_timeout_seconds).send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}},
        )

    return FailureNotice(webhooks(), tenants(), send_email)


@lru_cache(maxsize=1)
def webhook_fanout(data: Callable[[Fact], dict[str, Any]]) -> Fanout:
    """`data`: each event's data, as the contract whose webhooks these are writes it."""
    from invoice_hub.logic.webhooks import Fanout

    return Fanout(webhooks(), deliveries(), queue(), data, stuck_after())


@lru_cache(maxsize=1)
def practice_webhooks() -> Webhooks:
    from invoice_hub.logic.webhooks import Webhooks

    return Webhooks(webhooks(), deliveries(), queue(), allow_loopback=get_settings().webhook_allow_loopback)


@lru_cache(maxsize=1)
def settlements() -> Settlements:
    from invoice_hub.logic.settlements import Settlements

    return Settlements(deliveries(), invoices())


@lru_cache(maxsize=1)
def rule_sets() -> RuleSets:
    from invoice_hub.dal.rules import rule_set_repository
    from invoice_hub.logic.rules import RuleSets

    return RuleSets(rule_set_repository(get_settings()))


def day() -> timedelta:
    """A sending rule's day (delayInDays)."""
    return timedelta(seconds=get_settings().day_seconds)


@lru_cache(maxsize=1)
def invoice_table() -> InvoiceTable:
    from invoice_hub.logic.invoice_table import InvoiceTable

    return InvoiceTable(deliveries(), invoices(), patients())
