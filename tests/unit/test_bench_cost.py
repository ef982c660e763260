"""Part 5 of the bench (scripts/bench_cost.py, bench_calls.py): it prices what the prod environment of
samconfig.toml deploys, and its arithmetic (index write units, KMS, the capacity break-even) holds."""

from __future__ import annotations

import importlib
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from invoice_hub_local.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> Iterator[dict[str, ModuleType]]:
    """bench_cost and bench_calls, imported as scripts/bench.py imports them (the scripts directory first)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT / "scripts"))
        yield {name: importlib.import_module(name) for name in ("bench_cost", "bench_calls")}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_yaml(ROOT / "template.yaml")


def prod_parameters() -> dict[str, str]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    overrides = config["prod"]["deploy"]["parameters"]["parameter_overrides"]
    return dict(pair.split("=", 1) for pair in shlex.split(overrides))


def test_part_5_prices_what_prod_deploys(bench: dict[str, ModuleType], template: dict[str, Any]) -> None:
    # given what samconfig.toml's prod environment deploys
    prod = bench["bench_cost"].PROD
    assert prod_parameters()["Stage"] == "prod"
    conditions, resources = template["Conditions"], template["Resources"]
    assert conditions["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    function = template["Globals"]["Function"]
    # then part 5's figures are the template's for Stage=prod
    assert function["MemorySize"] == prod["memory_mb"]
    assert function["Tracing"] == {"Fn::If": ["IsProd", prod["tracing"], "Active"]}
    # and the API is an HTTP API (no X-Ray of its own), with no sampling rule: nothing arrives sampled
    assert [
        r["Type"]
        for r in resources.values()
        if r["Type"].startswith("AWS::Serverless::") and "Api" in r["Type"]
    ] == ["AWS::Serverless::HttpApi"]
    assert not [r for r in resources.values() if r["Type"] == "AWS::XRay::SamplingRule"]
    assert prod["api_traced"] == 0
    queues = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SQS::Queue"]
    assert queues
    assert all(q["KmsDataKeyReusePeriodSeconds"] == prod["kms_reuse_seconds"] for q in queues)
    assert resources["Table"]["Properties"]["BillingMode"] == prod["billing_mode"]


def test_api_requests_are_priced_as_an_http_apis(bench: dict[str, ModuleType]) -> None:
    cost = bench["bench_cost"]
    usage = cost.Usage(label="one request", lambda_ms=0, api_requests=1)
    assert usage.cost()["API Gateway"] * 1_000_000 == pytest.approx(1.00)


def item(**values: str) -> dict[str, Any]:
    return {name: {"S": value} for name, value in values.items()}


def test_index_writes_follow_the_projections_and_the_item_before(bench: dict[str, ModuleType]) -> None:
    units = bench["bench_calls"].index_units
    keys = {"PK": "T#t#DLV#d", "SK": "DELIVERY"}
    pending = item(**keys, status="PENDING", history="x" * 3000, GSI1PK="T#t#INV#i#DLV", GSI1SK="c#d")
    pending |= item(GSI5PK="WORK#1", GSI5SK="due#t#d")
    # a new item: one entry per index it is in, of the entry's size (keys and projected attributes only:
    # the 3 KB history is in neither index)
    assert units(None, pending) == 2
    # a claim that moves the work index's key: a delete and a put there; GSI1's entry is unchanged
    claimed = pending | item(GSI5SK="later#t#d", history="y" * 3000)
    assert units(pending, claimed) == 2
    # an outcome: out of the work index (a delete), into the status index (a put); GSI1 projects no status
    sent = {k: v for k, v in claimed.items() if not k.startswith("GSI5")} | item(
        status="SENT", GSI2PK="T#t#DLV#ST#SENT", GSI2SK="s#d"
    )
    assert units(claimed, sent) == 2
    # a write that changes nothing an index holds costs nothing there
    assert units(sent, sent | item(history="z" * 3000)) == 0
    # a projected attribute that changes rewrites the entry (GSI3 projects status)
    payer = sent | item(GSI3PK="T#t#PAYSEND", GSI3SK="s#c#d")
    assert units(payer, payer | item(status="FAILED")) == 1


def test_each_write_is_reported_with_its_size_and_what_each_index_did(
    bench: dict[str, ModuleType],
) -> None:
    calls = bench["bench_calls"]
    keys = {"PK": "T#0b0e4f0e-1111-4222-8333-944445555666#DLV#1b0e4f0e-1111-4222-8333-944445555666"}
    pending = item(**keys, SK="DELIVERY", GSI1PK="i", GSI1SK="c", GSI5PK="WORK#1", GSI5SK="due")
    claimed = pending | item(GSI5SK="later", history="y" * 2000)
    # the claim: the table's 3 KB (3 units), GSI1 left alone, GSI5 moved (a delete and a put)
    assert calls.index_writes(pending, claimed) == {"GSI1": ("left", 0.0), "GSI5": ("moved", 2.0)}
    write = calls.Write(
        "PutItem",
        "DLV/DELIVERY",
        calls.item_size(claimed),
        calls.size_by_group(claimed),
        3.0,
        calls.index_writes(pending, claimed),
    )
    assert write.units == 5
    # two sends' claims of the same shape, per send: one line, with the item's size; and, as it is over
    # 1 KB, where its bytes go (the history 2,007: a name of 7 and a value of 2,000)
    size = calls.item_size(claimed)
    lines = calls.breakdown([write, write], per=2)
    assert lines[0] == f"  PutItem DLV/DELIVERY: {size:,} B, table 3; GSI1 left 0, GSI5 moved 2 = 5 WRU"
    assert lines[1] == f"      over 1 KB by {size - 1024:,} B; its bytes: history 2,007, keys {size - 2007:,}"


def test_kms_after_a_day_of_data_key_reuse(bench: dict[str, ModuleType]) -> None:
    kms = bench["bench_cost"].kms_month(functions=59)
    # SQS: 59 roles x 3 queues x 30 periods; DynamoDB and Logs: 7 x 8,640 five-minute periods
    assert kms["sqs"] == 59 * 3 * 30
    assert kms["services"] == 7 * 8_640
    assert kms["cost"] == pytest.approx(1 + (5_310 + 60_480) * 0.03 / 10_000)


def test_the_capacity_break_even(bench: dict[str, ModuleType]) -> None:
    lines = bench["bench_cost"].break_even(wru=10.0, rru=0.0)
    # on-demand: 10 WRU x $0.625 per million = $6.25 per million invoices; provisioned at flat traffic:
    # 10 WCU-seconds per invoice = 10 / 3600 WCU-h x $0.00065 / 70% = $2.58 per million
    assert "on-demand per invoice: 10.00 WRU" in lines[1]
    assert "$6.25 per million" in lines[1]
    flat = lines[2]
    assert "peak/average 1: provisioned $2.58 per million" in flat
    # the floor, 7 x (1 WCU + 1 RCU) x 730 h = $3.99 a month, is paid back above $3.99 / ($6.25 - $2.58)
    # per million invoices
    floor = 7 * (0.00065 + 0.00013) * 730
    assert f"cheaper above {floor / (6.25e-6 - 10 / 3600 * 0.00065 / 0.7):,.0f} invoices" in flat
    assert "never cheaper" in lines[-1]  # at 3x, provisioned's 70% target costs more than on-demand


def test_a_sender_batch_holds_what_arrives_within_its_window(
    bench: dict[str, ModuleType], template: dict[str, Any]
) -> None:
    cost = bench["bench_cost"]
    mapping = template["Resources"]["SenderFunction"]["Properties"]["Events"]["SendQueue"]["Properties"]
    assert mapping["BatchSize"] == cost.SENDER_BATCH_SIZE
    assert mapping["MaximumBatchingWindowInSeconds"] == cost.SENDER_BATCHING_WINDOW_SECONDS
    # a million a month is 0.386 a second: the first message and 0.386 more within the 1 s window
    assert cost.messages_per_batch(1_000_000) == pytest.approx(1 + 1_000_000 / (30 * 24 * 3600))
    assert cost.messages_per_batch(100_000_000) == 10  # at most the batch size


def test_the_report_prints_prods_settings_and_totals_its_lines(
    bench: dict[str, ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    # given a create and a send with a unit of each thing priced
    cost = bench["bench_cost"]
    create = cost.Usage(
        label="create", lambda_ms=100, api_requests=1, wru=10, rru=1, sqs_requests=1, traces=0
    )
    send = cost.Usage(label="send", lambda_ms=100, wru=5, rru=1, sqs_requests=1, traces=0)
    # when part 5 reports them
    found = cost.report(create, send, sends_per_invoice=1, functions=59)
    printed = capsys.readouterr().out
    # then it names what prod deploys, and its total is the sum of its lines, with no X-Ray in it
    assert "Stage=prod" in printed
    assert "an HTTP API" in printed
    assert found["total"] == pytest.approx(sum(found["lines"].values()))
    assert found["lines"]["X-Ray"] == 0
    assert f"{found['total']:.2f}" in printed
