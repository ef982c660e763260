"""A Sender for tests that drive sends by hand: the composition root's channels and composer, with the
payer hubs' connector (and clock, queue, repository) the test chooses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from invoice_hub.connectors.base import Connector
from invoice_hub.connectors.http import HttpConnector
from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.payments import PaymentLedger
from invoice_hub.dal.queue_client import SendQueue
from invoice_hub.domain.delivery import Method
from invoice_hub.entry import wiring
from invoice_hub.logic.delivering import Sender, SendPolicy, utcnow
from invoice_hub.logic.escalation import Escalation
from invoice_hub.logic.payments import Payments


def sender_with(
    repo: DeliveryRepository,
    queue: SendQueue,
    policy: SendPolicy,
    clock: Callable[[], datetime] = utcnow,
    payer_hubs: Connector | None = None,
) -> Sender:
    channels = wiring.channels()
    channels.built[Method.EBILL] = payer_hubs or HttpConnector(5.0)
    return Sender(
        repo,
        queue,
        channels,
        wiring.composer(),
        wiring.read_credential,
        policy,
        payments=Payments(wiring.invoices(), repo, PaymentLedger(repo.table, repo.client)),
        clock=clock,
        owed=Escalation(wiring.invoices()).owed,
    )
