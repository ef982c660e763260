"""The whole local stack in one object: moto's server, the template's resources, the gateway, demo data."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from invoice_hub_local import (
    arrivals,
    moto_indexes,
    moto_items,
    moto_queues,
    moto_transactions,
    seed,
    sqs_move_tasks,
)
from invoice_hub_local.aws import AwsServer
from invoice_hub_local.fake_external import FakeExternal
from invoice_hub_local.fake_providers import moto_clear, ses_outbox
from invoice_hub_local.fake_ses_events import SesEvents
from invoice_hub_local.gateway import Gateway
from invoice_hub_local.jwt_authorizer import JwtAuthorizer
from invoice_hub_local.lambda_invoke import LambdaInvocations
from invoice_hub_local.pollers import QueuePoller, mapping_pollers
from invoice_hub_local.provision import ACCOUNT, REGION, Provisioner, Resolved, physical_function_name
from invoice_hub_local.stream_pollers import StreamPoller, stream_pollers
from invoice_hub_local.template import Stack, load_stack
from invoice_hub_local.triggers import Schedule, ScheduleRunner, install_pattern_rules, schedules

log = logging.getLogger("invoice_hub_local")
HOST = "127.0.0.1"
#: template parameters for one machine: quick back-offs, so an outage and its re-drive are seen in seconds
LOCAL_PARAMETERS = {
    "Stage": "dev",
    "SendBackoffSeconds": "1",
    "RetryBackoffSeconds": "20",
    "RetryScheduleRate": "rate(1 minute)",
    # a sending rule's day is 5 seconds, so a rule's escalation (SMS, then e-mail, then a call) is seen
    # in a minute: its steps then go as delayed SQS messages rather than waiting for the schedule
    "DaySeconds": "5",
    # practices' webhooks may be plain http on loopback here, so that tests and a developer can receive
    "WebhookAllowLoopback": "true",
}


def cli_environment(endpoint_url: str) -> dict[str, str]:
    """What the AWS CLI or any SDK outside this process needs to see the local stack's resources: moto's
    endpoint, the region they are built in (another region, e.g. samconfig's, lists nothing) and the
    throw-away keys."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """What makes every boto3 client in this process talk to moto: the endpoint and throw-away keys."""
    return {
        **cli_environment(endpoint_url),
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        # moto answers one call at a time: under a burst (50 concurrent creates) a call may wait its turn
        # for seconds, which on AWS would be a fault (the layer's default is 5 s)
        "DYNAMODB_TIMEOUT_SECONDS": "60",
    }


@dataclass
class LocalStack:
    port: int = 3000
    aws_port: int = 0
    external_port: int = 0
    run_triggers: bool = True  # queue pollers and schedules (tests may drive them by hand instead)
    stack: Stack = field(init=False)
    resolved: Resolved = field(init=False)
    environment: dict[str, str] = field(init=False, default_factory=dict)
    #: the API's JWT authorizers by name, as the gateway runs them
    authorizers: dict[str, JwtAuthorizer] = field(init=False, default_factory=dict)
    _aws: AwsServer | None = field(init=False, default=None)
    _http: BaseWSGIServer | None = field(init=False, default=None)
    _thread: threading.Thread | None = field(init=False, default=None)
    external: FakeExternal = field(init=False)
    pollers: list[QueuePoller] = field(init=False, default_factory=list)  # the SQS event source mappings
    stream_pollers: list[StreamPoller] = field(init=False, default_factory=list)  # the DynamoDB stream ones
    schedules: list[Schedule] = field(init=False, default_factory=list)
    _schedule_runner: ScheduleRunner | None = field(init=False, default=None)
    ses_events: SesEvents | None = field(init=False, default=None)
    _clients: dict[tuple[str, str], Any] = field(init=False, default_factory=dict)
    _clients_lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def invocations(self) -> LambdaInvocations:
        """Lambda's Invoke on the AWS endpoint: the functions it serves, by name (lambda_invoke.py)."""
        if self._aws is None:
            raise RuntimeError("the local stack is not started")
        return self._aws.invocations

    @property
    def aws_endpoint(self) -> str:
        return f"http://{HOST}:{self.aws_port}"

    def queue_arns(self) -> dict[str, str]:
        """Each SQS queue of the template, by logical id (SendQueue, SendDLQ), and its ARN in moto."""
        return {
            logical: self.resolved.attrs[(logical, "Arn")]
            for logical in sorted(self.stack.resources("AWS::SQS::Queue"), reverse=True)
        }

    def start(self) -> LocalStack:
        sqs_move_tasks.install()
        moto_transactions.install()
        moto_indexes.install()
        moto_items.install()
        moto_queues.install()
        arrivals.install()
        self._aws = AwsServer(HOST, self.aws_port).start()
        self.aws_port = self._aws.port
        os.environ.update(aws_environment(self.aws_endpoint))
        self.external = FakeExternal(
            HOST,
            self.external_port,
            outbox_sources=[ses_outbox(ACCOUNT, REGION)],
            on_reset=lambda: moto_clear(ACCOUNT, REGION),
        ).start()
        # the channels' HTTP providers (voice, print-and-mail, Stripe) are the fake external server's
        providers = {
            "VoiceApiUrl": self.external.url,
            "PrintMailApiUrl": self.external.url,
            "StripeApiBase": self.external.url,
            "SmsApiUrl": self.external.url,
        }
        self.stack = load_stack(overrides={**LOCAL_PARAMETERS, **providers})
        functions = self.stack.functions
        self._aws.invocations.serve({physical_function_name(self.stack, f): functions[f] for f in functions})
        provisioner = Provisioner(self.stack, self.aws_endpoint)
        self.resolved = provisioner.build()
        events = self.client("events")
        install_pattern_rules(self.stack, self.resolved, events)
        # what SES would publish of each e-mail it accepts, on the default bus (the rules take it on)
        sns = self.client("sns")
        self.external.sms.configure(
            provisioner.sms_event_topics, lambda topic, message: sns.publish(TopicArn=topic, Message=message)
        )
        self.ses_events = SesEvents(
            provisioner.email_event_types, lambda entries: events.put_events(Entries=entries), ACCOUNT, REGION
        ).start()
        env = provisioner.function_environment()
        self.environment = env
        # the HTTP API's JWT authorizers, verifying tokens as API Gateway does; Cognito's keys are served
        # by moto locally, the issuer stays the real AWS one (as moto signs it)
        self.authorizers = {
            name: JwtAuthorizer.from_template(config, self.aws_endpoint, self.resolved.resolve)
            for name, config in self.stack.authorizers.items()
        }
        os.environ.update(env)
        seed.seed(
            self.cognito(),
            self.client("ssm"),
            env["USER_POOL_ID"],
            env["TABLE_NAME"],
            self.external.url,
            ses=self.client("ses"),
        )
        self._http = make_server(HOST, self.port, Gateway(self.stack, self.authorizers), threaded=True)
        self.port = self._http.server_port
        self.external.stripe_events.endpoint(f"{self.url}/webhooks/stripe", seed.STRIPE_WEBHOOK_SECRET)
        self.external.call_events.endpoint(f"{self.url}/webhooks/voice", seed.VOICE_WEBHOOK_SECRET)
        self.external.letter_events.endpoint(
            f"{self.url}/webhooks/print-mail", seed.PRINT_MAIL_WEBHOOK_SECRET
        )
        self._thread = threading.Thread(target=self._http.serve_forever, name="gateway", daemon=True)
        self._thread.start()
        self.pollers = mapping_pollers(self.stack, self.resolved, self.aws_endpoint, REGION)
        self.stream_pollers = stream_pollers(self.stack, self.resolved, self.aws_endpoint, REGION)
        self.schedules = schedules(self.stack, self.resolved)
        if self.run_triggers:
            for poller in self.pollers:
                poller.start()
            for stream_poller in self.stream_pollers:
                stream_poller.start()
            self._schedule_runner = ScheduleRunner(self.schedules).start()
        return self

    @contextmanager
    def schedule_paused(self) -> Iterator[None]:
        """The EventBridge schedule does not run inside the block (for tests that make due work)."""
        if self._schedule_runner is None:
            yield
            return
        with self._schedule_runner.paused():
            yield

    @contextmanager
    def sends_paused(self) -> Iterator[None]:
        """No queue is polled inside the block (as with the event source mappings disabled on AWS): the
        messages wait in their queues, and are handled once it ends."""
        running = [poller for poller in self.pollers if poller.running]
        for poller in running:
            poller.stop()
        try:
            yield
        finally:
            for poller in running:
                poller.start()

    def client(self, service: str) -> Any:
        """A boto3 client of moto's, one per service (a client is thread-safe; making one costs a tenth of a
        second of CPU, and the tests ask for one per practice they make)."""
        import boto3

        key = (service, self.aws_endpoint)
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = boto3.client(  # type: ignore[call-overload]
                    service, endpoint_url=self.aws_endpoint, region_name=REGION
                )
            return self._clients[key]

    def cognito(self) -> Any:
        return self.client("cognito-idp")

    def stop(self) -> None:
        if self.ses_events is not None:
            self.ses_events.stop()
        if self._schedule_runner is not None:
            self._schedule_runner.stop()
        for poller in self.pollers:
            poller.stop()
        for stream_poller in self.stream_pollers:
            stream_poller.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        self.external.stop()
        sqs_move_tasks.shutdown()
        if self._aws is not None:
            self._aws.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
