"""The ops command's tenants, users and keys, against the local stack: what it creates works over HTTP,
what it revokes stops working, and no key is ever shown again or stored in the clear."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import boto3
import httpx
import pytest

from invoice_hub.dal import credentials as credentials_module
from invoice_hub.dal import keys
from invoice_hub.dal.credentials import key_hash
from invoice_hub_local.stack import LocalStack
from tests.conftest import sign_in
from tests.ops.conftest import Run
from tests.report import tried

pytestmark = pytest.mark.e2e
KEY = re.compile(r"key \(shown once, only its hash is stored\): (\S+)$", re.MULTILINE)


def issued_key(run: Run) -> str:
    assert run.code == 0, run.err
    found = KEY.search(run.out)
    assert found, run.out
    return found.group(1)


@pytest.fixture
def a_minute_later(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Moves the clock of the functions' key cache past its 60 s (the functions run in this process)."""

    class Later:
        offset = 0.0

        def monotonic(self) -> float:
            return time.monotonic() + self.offset

    later = Later()
    monkeypatch.setattr(credentials_module, "time", later)

    def advance() -> None:
        later.offset += credentials_module.CACHE_SECONDS + 1

    return advance


def decoda_get(http: httpx.Client, slug: str, key: str) -> int:
    """A Decoda read of an id nobody has: 404 when the key authenticates, 401 when it does not."""
    return http.get(f"/billing/invoice/{uuid.uuid4()}", headers={"TENANT": slug, "API-KEY": key}).status_code


def ebh_history(http: httpx.Client, producer: str, key: str) -> int:
    return http.get(
        "/ebh/statuses/v1/history",
        params={"InvoiceId": "ops-1"},
        headers={"ProducerId": producer, "ProviderKey": key},
    ).status_code


def test_a_tenant_created_by_ops_is_listed_and_its_slug_is_unique(
    ops: Callable[..., Run], stack: LocalStack, slug: str
) -> None:
    created = ops("tenant", "create", "--slug", slug, "--name", "Ops Practice")
    assert created.code == 0, created.err
    tenant_id = re.search(r"tenant (\S+) created", created.out).group(1)  # type: ignore[union-attr]
    assert f"Cognito group tenant_{tenant_id}" in created.out
    pool = stack.environment["USER_POOL_ID"]
    group = stack.cognito().get_group(GroupName=f"tenant_{tenant_id}", UserPoolId=pool)
    assert group["Group"]["GroupName"] == f"tenant_{tenant_id}"

    listed = ops("tenant", "list")
    assert listed.code == 0
    assert listed.line(tenant_id).split()[:2] == [tenant_id, slug]
    assert "demo-practice" in listed.out  # the seed's tenants are in the directory too

    again = ops("tenant", "create", "--slug", slug, "--name", "Someone Else")
    assert again.code == 1
    assert f"the slug '{slug}' (or this id) is taken" in again.error
    assert ops("tenant", "list").out.count(f" {slug} ") == 1
    tried(
        "ops", "tenant create/list: a new tenant listed with its Cognito group; a taken slug refused (exit 1)"
    )


def test_an_admin_created_by_ops_signs_in_and_sees_the_failed_list(
    ops: Callable[..., Run], http: httpx.Client, slug: str
) -> None:
    assert ops("tenant", "create", "--slug", slug, "--name", "Ops Practice").code == 0
    email = f"{slug}@example.test"
    created = ops("user", "create", "--tenant", slug, "--email", email, "--admin")
    assert created.code == 0, created.err
    password = created.line("password (shown once").rsplit(" ", 1)[-1]

    token = sign_in(http, email, password)
    failed = http.get("/api/v1/billing/invoices/failed", headers={"Authorization": f"Bearer {token}"})
    assert failed.status_code == 200, failed.text
    assert failed.json() == []


def test_an_api_key_works_until_it_is_revoked_by_id(
    ops: Callable[..., Run],
    stack: LocalStack,
    http: httpx.Client,
    slug: str,
    a_minute_later: Callable[[], None],
) -> None:
    assert ops("tenant", "create", "--slug", slug, "--name", "Ops Practice").code == 0
    issued = ops("key", "issue", "--tenant", slug, "--kind", "api-key")
    key = issued_key(issued)
    key_id = key_hash(key)[:12]
    assert f"api-key {key_id} issued to tenant {slug}" in issued.out
    assert decoda_get(http, slug, key) == 404  # authenticated: the invoice is simply not there
    assert decoda_get(http, "demo-practice", key) == 401  # only with its own tenant's slug

    listed = ops("key", "list", "--tenant", slug)
    assert listed.line(key_id).split()[:4] == [key_id, "api-key", slug, "active"]
    assert key not in listed.out
    item = boto3.client("dynamodb").get_item(
        TableName=stack.environment["TABLE_NAME"],
        Key={k: {"S": v} for k, v in keys.credential_key("api-key", key_hash(key)).items()},
    )["Item"]
    assert key not in str(item)  # only the hash is stored

    revoked = ops("key", "revoke", "--tenant", slug, "--id", key_id[:8])
    assert revoked.code == 0, revoked.err
    assert f"api-key {key_id} ({slug}) revoked" in revoked.out
    a_minute_later()  # every function instance has let go of the key's cached record
    assert decoda_get(http, slug, key) == 401
    assert ops("key", "list", "--tenant", slug).line(key_id).split()[3] == "revoked"
    assert "revoked already" in ops("key", "revoke", "--key", key).out
    tried("ops", "api-key: issued (404 on a missing invoice), revoked by 8-char id, then 401 over HTTP")


def test_a_provider_key_works_until_it_is_revoked_by_key(
    ops: Callable[..., Run], http: httpx.Client, slug: str, a_minute_later: Callable[[], None]
) -> None:
    assert ops("tenant", "create", "--slug", slug, "--name", "Ops Practice").code == 0
    producer = f"producer-{slug}"
    assert ops("key", "issue", "--tenant", slug, "--kind", "provider-key").code == 1  # which producer?
    key = issued_key(ops("key", "issue", "--tenant", slug, "--kind", "provider-key", "--name", producer))
    assert key.startswith("ebh_")
    assert ebh_history(http, producer, key) == 200
    assert ebh_history(http, "someone-else", key) == 401

    revoked = ops("key", "revoke", "--key", key)
    assert revoked.code == 0, revoked.err
    a_minute_later()
    assert ebh_history(http, producer, key) == 401
    tried("ops", "provider-key: issued (200 on EBH history), revoked by the key itself, then 401 over HTTP")


def test_mistakes_are_one_line_and_a_nonzero_exit(ops: Callable[..., Run], slug: str) -> None:
    mistakes = {
        ("failed", "--tenant", "no-such-practice"): "no tenant 'no-such-practice'",
        ("key", "list", "--tenant", str(uuid.uuid4())): "no tenant",
        ("tenant", "create", "--slug", "Not A Slug", "--name", "x"): "invalid value: slug",
        ("key", "issue", "--tenant", "demo-practice", "--kind", "api-key", "--name", "other"): "TENANT",
        (
            "user",
            "create",
            "--tenant",
            "demo-practice",
            "--email",
            "demo@invoice-hub.local",
        ): "exists already",
        ("key", "revoke", "--id", "abc"): "at least 6 characters",
        ("key", "revoke", "--id", "abcdef12"): "needs --tenant",
        ("key", "revoke", "--tenant", "demo-practice", "--id", "ffffff00"): "has no key ffffff00",
        ("key", "revoke", "--key", "never-issued"): "no such key",
        ("key", "revoke", "--id", "0" * 64): "no key with hash 000000",
        ("--region", "eu-west-1", "tenant", "list"): "--region and --profile are for --stack",
    }
    for argv, message in mistakes.items():
        run = ops(*argv)  # in-process: an exception main() did not handle would fail the test here
        assert run.code == 1, (argv, run.out)
        assert message in run.error, (argv, run.err)
    tried("ops", f"{len(mistakes)} operator mistakes: each one line on stderr and exit 1, no traceback")


def test_without_a_target_or_a_command_argparse_explains(capsys: pytest.CaptureFixture[str]) -> None:
    from invoice_hub_ops.cli import main

    assert main(["tenant", "list"]) == 2
    assert "one of the arguments --stack --local is required" in capsys.readouterr().err
    assert main(["--local"]) == 2
    assert main(["--stack", "invoice-hub-dev", "--endpoint-url", "http://127.0.0.1:9", "tenant", "list"]) == 1
    assert "error: --endpoint-url is for --local" in capsys.readouterr().err
    assert main(["--local", "--endpoint-url", "http://127.0.0.1:9", "tenant", "list"]) == 1
    err = capsys.readouterr().err
    assert "no local stack answers at http://127.0.0.1:9: start it with `make run`" in err


def test_a_newcomer_runs_it_with_no_aws_configuration(stack: LocalStack, tmp_path: Path) -> None:
    """`python -m invoice_hub_ops --local` in a fresh shell: no AWS variables, no ~/.aws, only AWS_PORT."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(HOME=str(tmp_path), AWS_PORT=str(stack.aws_port))
    for command in (["failed", "--tenant", "demo-practice"], ["redrive", "status"], ["tenant", "list"]):
        done = subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "invoice_hub_ops", "--local", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (command, done.stderr)
    assert "demo-practice" in done.stdout
