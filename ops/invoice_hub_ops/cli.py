"""The ops command's arguments, and one function per subcommand.

It prints ids, names, statuses and counts only: never a key after the moment it is issued, never a
patient's data (a delivery is shown by its ids, channel, attempts and error).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from uuid import UUID, uuid4

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound
from pydantic import ValidationError

from invoice_hub.auth import ADMIN_GROUP, tenant_group
from invoice_hub.dal.credentials import KEY_ID_LENGTH, CredentialRepository, StoredCredential
from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.identity import CognitoDirectory, new_password
from invoice_hub.dal.queue_client import MoveTask, SendQueue
from invoice_hub.dal.tenants import TenantRepository
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, RedrivePolicy
from invoice_hub.domain.errors import InvoiceHubError, NotFound
from invoice_hub.domain.tenant import Tenant
from invoice_hub.logic.redrive import retry_all_failed
from invoice_hub.logic.tenants import create_tenant, tenant_at
from invoice_hub_ops.target import LOCAL_STACK_NAME, Target, TargetError, local_target, stack_target

ACTIVE = frozenset({"RUNNING", "CANCELLING"})
MIN_ID_PREFIX = 6


class OpsError(Exception):
    """A mistake or a state the operator must hear about: printed as one line, exit status 1."""


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ops:
    """The repositories of one target, built on its clients."""

    target: Target

    @cached_property
    def dynamodb(self) -> Any:
        return self.target.client("dynamodb")

    @cached_property
    def sqs(self) -> Any:
        return self.target.client("sqs")

    @cached_property
    def tenants(self) -> TenantRepository:
        return TenantRepository(self.target.table_name, self.dynamodb)

    @cached_property
    def credentials(self) -> CredentialRepository:
        return CredentialRepository(self.target.table_name, self.dynamodb)

    @cached_property
    def directory(self) -> CognitoDirectory:
        return CognitoDirectory(self.target.user_pool_id, self.target.client("cognito-idp"))

    @cached_property
    def deliveries(self) -> DeliveryRepository:
        target = self.target
        redrive = RedrivePolicy(timedelta(seconds=target.retry_backoff_seconds), target.max_redrive_rounds)
        return DeliveryRepository(target.table_name, redrive, self.dynamodb)

    @cached_property
    def queue(self) -> SendQueue:
        target = self.target
        return SendQueue(target.send_queue_url, target.send_dlq_url, target.send_dlq_arn, self.sqs)

    def tenant(self, ref: str) -> Tenant:
        """A tenant by id or slug."""
        try:
            return self.tenants.get(UUID(ref)) if _is_uuid(ref) else self.tenants.by_slug(ref)
        except NotFound as error:
            raise OpsError(f"no tenant {ref!r} (give its id or slug; `tenant list` shows them)") from error


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> None:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[n]) for row in cells) for n in range(len(header))]
    for row in cells:
        say("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# -- failed deliveries -------------------------------------------------------------------------------
def cmd_failed(ops: Ops, args: argparse.Namespace) -> int:
    tenants = [ops.tenant(args.tenant)] if args.tenant else ops.tenants.list_all()
    found: list[tuple[Tenant, Delivery]] = [
        (tenant, delivery)
        for tenant in tenants
        for delivery in ops.deliveries.by_status(tenant.id, DeliveryStatus.FAILED)
    ]
    found.sort(key=lambda pair: pair[1].updated_at, reverse=True)
    shown = found[: args.limit]
    table(
        [
            (
                tenant.slug,
                d.id,
                d.invoice_id or d.external_invoice_id or "-",
                f"{d.system}/{d.method.value}",
                d.attempts,
                d.failure_kind or "-",
                d.failed_reason or "-",
                _when(d.updated_at),
            )
            for tenant, d in shown
        ],
        ("TENANT", "DELIVERY", "INVOICE", "CHANNEL", "ATTEMPTS", "KIND", "LAST ERROR", "FAILED AT"),
    )
    scope = f"tenant {tenants[0].slug}" if args.tenant else f"{len(tenants)} tenants"
    say(f"failed deliveries: {len(found)} ({scope}); {len(shown)} shown, newest first")
    return 0


# -- DLQ re-drive ------------------------------------------------------------------------------------
class MoveLater(SendQueue):
    """SendQueue whose DLQ move is left to the caller: retry-all runs once per tenant, and one move task
    afterwards serves them all (every tenant's deliveries are PENDING before any message moves). With
    `will_move` false (the DLQ is empty) retry-all enqueues every delivery it puts back afresh."""

    def __init__(self, queue: SendQueue, will_move: bool) -> None:  # the real queue's client and URLs
        self.queue_url, self.dlq_url, self.dlq_arn = queue.queue_url, queue.dlq_url, queue.dlq_arn
        self.client = queue.client
        self.will_move = will_move

    def redrive_dlq(self) -> MoveTask:
        return MoveTask(started=self.will_move, status="LATER", task_handle=None)


def _tasks(ops: Ops, count: int = 1) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = ops.sqs.list_message_move_tasks(
        SourceArn=ops.target.send_dlq_arn, MaxResults=count
    ).get("Results", [])
    return tasks


def _depth(ops: Ops, url: str) -> tuple[int, int]:
    attributes = ops.sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def _progress(task: dict[str, Any]) -> str:
    moved, total = (
        task.get("ApproximateNumberOfMessagesMoved", 0),
        task.get("ApproximateNumberOfMessagesToMove"),
    )
    line = f"{task['Status']}: moved {moved}/{'?' if total is None else total}"
    if task.get("FailureReason"):
        line += f" (failure: {task['FailureReason']})"
    return line


def cmd_redrive_start(ops: Ops, args: argparse.Namespace) -> int:
    running = [task for task in _tasks(ops) if task["Status"] in ACTIVE]
    if running:
        raise OpsError(
            f"a re-drive is already running ({_progress(running[0])}); `redrive watch` follows it, "
            "`redrive cancel` stops it"
        )
    visible, in_flight = _depth(ops, ops.target.send_dlq_url)
    stuck_after = timedelta(seconds=ops.target.stuck_after_seconds)
    will_move = visible + in_flight > 0
    later = MoveLater(ops.queue, will_move)
    tenants = ops.tenants.list_all()
    put_back = 0
    for tenant in tenants:
        # no bound on the work (the API's bound is for its Lambda and API Gateway timeouts; decision 006)
        done = retry_all_failed(ops.deliveries, later, tenant.id, stuck_after, limit=None, budget=None)
        put_back += len(done.put_back)
    say(f"{put_back} failed deliveries of {len(tenants)} tenants put back to PENDING")
    if not will_move:
        say("the DLQ is empty: nothing to move; the deliveries put back were enqueued afresh")
        return 0
    task = ops.queue.redrive_dlq()
    if not task.started:
        say("a move task started meanwhile (the console?); it moves the DLQ back")
    else:
        say(f"move task started: {visible} messages in the DLQ ({in_flight} in flight) back to SendQueue")
    if args.watch:
        return watch(ops, args.interval, args.timeout)
    say("`redrive watch` follows it")
    return 0


def cmd_redrive_status(ops: Ops, args: argparse.Namespace) -> int:
    tasks = _tasks(ops, args.last)
    if not tasks:
        say("no re-drive has been started on this DLQ")
    for task in tasks:
        started = datetime.fromtimestamp(int(task["StartedTimestamp"]) / 1000, UTC)
        say(f"{_when(started)}  {_progress(task)}")
    for name, url in (("SendDLQ", ops.target.send_dlq_url), ("SendQueue", ops.target.send_queue_url)):
        visible, in_flight = _depth(ops, url)
        say(f"{name}: {visible} messages visible, {in_flight} in flight")
    return 0


def cmd_redrive_cancel(ops: Ops, args: argparse.Namespace) -> int:
    running = [task for task in _tasks(ops) if task["Status"] == "RUNNING" and task.get("TaskHandle")]
    if not running:
        raise OpsError("no re-drive is running")
    moved = ops.sqs.cancel_message_move_task(TaskHandle=running[0]["TaskHandle"]).get(
        "ApproximateNumberOfMessagesMoved", 0
    )
    say(f"cancelling: {moved} messages moved so far stay moved; the rest stay in the DLQ")
    return 0


def cmd_redrive_watch(ops: Ops, args: argparse.Namespace) -> int:
    return watch(ops, args.interval, args.timeout)


def watch(ops: Ops, interval: float, timeout: float) -> int:
    """Prints the newest move task's progress whenever it changes, until it ends."""
    deadline = time.monotonic() + timeout if timeout > 0 else None
    last = ""
    while True:
        tasks = _tasks(ops)
        if not tasks:
            raise OpsError("no re-drive has been started on this DLQ")
        task = tasks[0]
        line = _progress(task)
        if line != last:
            say(line)
            last = line
        if task["Status"] not in ACTIVE:
            visible, in_flight = _depth(ops, ops.target.send_dlq_url)
            say(f"SendDLQ: {visible} messages visible, {in_flight} in flight")
            return 0 if task["Status"] == "COMPLETED" else 1
        if deadline is not None and time.monotonic() >= deadline:
            raise OpsError(f"still {task['Status']} after {timeout:g}s; it goes on (`redrive watch` again)")
        time.sleep(interval)


# -- tenants and users -------------------------------------------------------------------------------
def cmd_tenant_create(ops: Ops, args: argparse.Namespace) -> int:
    tenant = tenant_at(uuid4(), args.slug, args.name, args.external_url, args.credential_parameter)
    create_tenant(ops.tenants, ops.directory, tenant)
    say(f"tenant {tenant.id} created: slug {tenant.slug}, Cognito group {tenant_group(tenant.id)}")
    for destination in tenant.destinations:
        say(f"  sends issued invoices to {destination.name} at {destination.endpoint_url}")
    if tenant.patient_channel is not None:
        say(f"  sends patient invoices to {tenant.patient_channel.endpoint_url}")
    return 0


def cmd_tenant_list(ops: Ops, args: argparse.Namespace) -> int:
    tenants = ops.tenants.list_all()
    table(
        [(t.id, t.slug, t.name, len(t.destinations) + (t.patient_channel is not None)) for t in tenants],
        ("ID", "SLUG", "NAME", "DESTINATIONS"),
    )
    say(f"{len(tenants)} tenants")
    return 0


def cmd_user_create(ops: Ops, args: argparse.Namespace) -> int:
    tenant = ops.tenant(args.tenant)
    groups = [tenant_group(tenant.id), *([ADMIN_GROUP] if args.admin else [])]
    password = new_password()
    ops.directory.create_user(args.email, password, groups)
    say(f"user {args.email} created in tenant {tenant.slug}{' (admin)' if args.admin else ''}")
    say(f"password (shown once; hand it over privately): {password}")
    return 0


# -- keys --------------------------------------------------------------------------------------------
def cmd_key_issue(ops: Ops, args: argparse.Namespace) -> int:
    tenant = ops.tenant(args.tenant)
    if args.kind == "api-key":
        if args.name not in (None, tenant.slug):
            raise OpsError(
                "an api-key is presented with the tenant's slug (Decoda's TENANT header); omit --name"
            )
        name = tenant.slug
    else:
        if not args.name:
            raise OpsError("a provider-key needs --name: the ProducerId it must be presented with")
        name = args.name
    key, stored = ops.credentials.issue(args.kind, tenant.id, name, now())
    say(f"{args.kind} {stored.key_id} issued to tenant {tenant.slug} for {name}")
    say(f"key (shown once, only its hash is stored): {key}")
    return 0


def cmd_key_list(ops: Ops, args: argparse.Namespace) -> int:
    tenant = ops.tenant(args.tenant)
    stored = ops.credentials.of_tenant(tenant.id)
    table(
        [
            (
                s.key_id,
                s.credential.kind,
                s.credential.name,
                "revoked" if s.credential.revoked else "active",
                _when(s.credential.created_at),
                _when(s.credential.revoked_at),
            )
            for s in stored
        ],
        ("ID", "KIND", "NAME", "STATUS", "ISSUED", "REVOKED"),
    )
    say(f"{len(stored)} keys of tenant {tenant.slug}")
    return 0


def cmd_key_revoke(ops: Ops, args: argparse.Namespace) -> int:
    stored = _key(ops, args)
    if stored.credential.revoked:
        say(f"{stored.credential.kind} {stored.key_id} was revoked already")
        return 0
    revoked = ops.credentials.revoke(stored, now())
    say(
        f"{revoked.credential.kind} {revoked.key_id} ({revoked.credential.name}) revoked; it stops "
        "authenticating within a minute (function instances cache a key's record for 60 s)"
    )
    return 0


def _key(ops: Ops, args: argparse.Namespace) -> StoredCredential:
    if args.key:
        found = ops.credentials.locate(args.key)
        if found is None:
            raise OpsError("no such key")
        return found
    ref = args.id.lower()
    if len(ref) == 64:
        found = ops.credentials.by_hash(ref)
        if found is None:
            raise OpsError(f"no key with hash {ref}")
        return found
    if len(ref) < MIN_ID_PREFIX:
        raise OpsError(f"a key id has at least {MIN_ID_PREFIX} characters (`key list` shows {KEY_ID_LENGTH})")
    if not args.tenant:
        raise OpsError("revoking by id needs --tenant (or give the whole 64-digit hash, or the key)")
    tenant = ops.tenant(args.tenant)
    matches = [s for s in ops.credentials.of_tenant(tenant.id) if s.key_hash.startswith(ref)]
    if not matches:
        raise OpsError(f"tenant {tenant.slug} has no key {ref}")
    if len(matches) > 1:
        raise OpsError(f"{len(matches)} keys of tenant {tenant.slug} start with {ref}; give more of the id")
    return matches[0]


# -- the parser --------------------------------------------------------------------------------------
def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m invoice_hub_ops",
        description="Operate invoice-hub: failed deliveries, DLQ re-drives, tenants, users and keys.",
        epilog="examples: `--local failed`, `--stack invoice-hub-prod redrive start --watch`",
    )
    where = root.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="a deployed stack's name (its resources are read from CloudFormation)")
    where.add_argument("--local", action="store_true", help="the local stack started by `make run`")
    root.add_argument("--region", help="AWS region of --stack (default: your AWS configuration's)")
    root.add_argument("--profile", help="AWS profile for --stack (default: your AWS configuration's)")
    root.add_argument(
        "--endpoint-url",
        help="with --local: moto's endpoint (default http://127.0.0.1:$AWS_PORT; AWS_PORT is 4566 unset)",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    failed = commands.add_parser("failed", help="list failed deliveries (newest first)")
    failed.add_argument("--tenant", help="only this tenant (id or slug); default: every tenant")
    failed.add_argument("--limit", type=_positive, default=50, help="show at most N (default 50)")
    failed.set_defaults(run=cmd_failed)

    redrive = commands.add_parser("redrive", help="re-drive SendDLQ back to SendQueue").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    start = redrive.add_parser(
        "start", help="put every FAILED delivery back to PENDING, then move the DLQ's messages back"
    )
    start.add_argument("--watch", action="store_true", help="then follow the move until it ends")
    status = redrive.add_parser("status", help="the latest move tasks and the queues' depths")
    status.add_argument("--last", type=_positive, default=1, help="how many tasks (default 1, at most 10)")
    cancel = redrive.add_parser("cancel", help="stop the running move (what moved stays moved)")
    watch_ = redrive.add_parser("watch", help="follow the latest move task until it ends")
    for action in (start, watch_):
        action.add_argument("--interval", type=float, default=2.0, help="seconds between looks (default 2)")
        action.add_argument(
            "--timeout", type=float, default=0, help="give up after S seconds (default never)"
        )
    start.set_defaults(run=cmd_redrive_start)
    status.set_defaults(run=cmd_redrive_status)
    cancel.set_defaults(run=cmd_redrive_cancel)
    watch_.set_defaults(run=cmd_redrive_watch)

    tenant = commands.add_parser("tenant", help="create and list tenants").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = tenant.add_parser("create", help="a tenant and its Cognito group tenant_<id>")
    create.add_argument("--slug", required=True, help="lower-case letters, digits and '-' (Decoda's TENANT)")
    create.add_argument("--name", required=True, help="the practice's or organisation's name")
    create.add_argument(
        "--external-url",
        help="base URL of its payer hub, at <url>/payer-hub/<slug> (locally http://127.0.0.1:3001, the fake "
        "external systems); the tenant then bills its patients through the stack's channels",
    )
    create.add_argument(
        "--credential-parameter", help="SSM SecureString holding the payer hub's token (with --external-url)"
    )
    create.set_defaults(run=cmd_tenant_create)
    tenant.add_parser("list", help="every tenant").set_defaults(run=cmd_tenant_list)

    user = commands.add_parser("user", help="create API users (Cognito)").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    user_create = user.add_parser("create", help="a user of a tenant; prints a new password once")
    user_create.add_argument("--tenant", required=True, help="tenant id or slug")
    user_create.add_argument("--email", required=True, help="the user's e-mail (the username)")
    user_create.add_argument("--admin", action="store_true", help="also in the admin group")
    user_create.set_defaults(run=cmd_user_create)

    key = commands.add_parser("key", help="issue, list and revoke API keys and provider keys").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    issue = key.add_parser("issue", help="a new key, printed once (only its hash is stored)")
    issue.add_argument("--tenant", required=True, help="tenant id or slug")
    issue.add_argument(
        "--kind",
        required=True,
        choices=["api-key", "provider-key"],
        help="api-key: Decoda's API-KEY (with TENANT: the slug); provider-key: eBillingHub's ProviderKey",
    )
    issue.add_argument("--name", help="provider-key: the ProducerId it is presented with")
    issue.set_defaults(run=cmd_key_issue)
    listing = key.add_parser("list", help="a tenant's keys: ids, kinds, names, status (never the keys)")
    listing.add_argument("--tenant", required=True, help="tenant id or slug")
    listing.set_defaults(run=cmd_key_list)
    revoke = key.add_parser("revoke", help="a key stops authenticating (within a minute)")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--key", help="the key itself")
    which.add_argument("--id", help="its id from `key list` (with --tenant), or its whole SHA-256 hash")
    revoke.add_argument("--tenant", help="tenant id or slug (with --id)")
    revoke.set_defaults(run=cmd_key_revoke)
    return root


def resolve(args: argparse.Namespace) -> Target:
    if args.local:
        if args.region or args.profile:
            raise OpsError("--region and --profile are for --stack; --local talks to moto")
        try:
            return local_target(args.endpoint_url, LOCAL_STACK_NAME)
        except BotoCoreError as error:  # connection refused and the like
            raise OpsError(
                f"no local stack answers at {args.endpoint_url or 'http://127.0.0.1:4566'}: start it with "
                f"`make run` (AWS_PORT changes its port) ({error})"
            ) from error
    if args.endpoint_url:
        raise OpsError("--endpoint-url is for --local")
    return stack_target(args.stack, args.region, args.profile)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:  # argparse printed the usage and the mistake
        return int(exit_.code or 0)
    try:
        ops = Ops(resolve(args))
        run: Callable[[Ops, argparse.Namespace], int] = args.run
        return run(ops, args)
    except (OpsError, TargetError) as error:
        return _fail(str(error))
    except InvoiceHubError as error:
        return _fail(error.message)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return _fail(f"invalid value: {problems}")
    except (NoCredentialsError, ProfileNotFound) as error:
        return _fail(f"AWS credentials: {error}")
    except ClientError as error:
        info = error.response.get("Error", {})
        return _fail(f"AWS answered {info.get('Code', '?')}: {info.get('Message', '')}")
    except BotoCoreError as error:
        return _fail(f"AWS: {error}")


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 1
