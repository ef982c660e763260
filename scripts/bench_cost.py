"""`make bench`, part 5: what 1,000,000 invoices created and sent cost on AWS, from the bench's own figures
(AWS calls, capacity units estimated from item sizes, durations, log bytes) and public prices.

The prices are AWS's public on-demand list prices for us-east-1 as known in 2025 (first pricing tier,
no free tier): check them against https://aws.amazon.com/pricing before quoting a bill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MILLION = 1_000_000
#: What the prod environment of samconfig.toml deploys (`Stage=prod`), as this part prices it;
#: tests/unit/test_bench_cost.py reads template.yaml and samconfig.toml and fails when one changes.
PROD = {
    "memory_mb": 512,  # Globals MemorySize (every function)
    "tracing": "PassThrough",  # Globals Tracing in prod (IsProd): Lambda traces only what arrives sampled
    "api_traced": 0.0,  # an HTTP API has no X-Ray of its own: no request arrives sampled (decision 022)
    "kms_reuse_seconds": 86400,  # every queue's KmsDataKeyReusePeriodSeconds
    "billing_mode": "PAY_PER_REQUEST",  # the table's (decision 021)
}
MEMORY_GB = PROD["memory_mb"] / 1024
#: us-east-1 list prices (USD), as of 2025
PRICES = {
    "lambda_gb_s": 0.0000133334,  # arm64, first 7.5 billion GB-s a month
    "lambda_request": 0.20 / MILLION,
    # an HTTP API, first 300 million a month (REST: $3.50): the API becomes an HTTP API by decision 017
    # (docs/decisions/017-an-http-api.md), made in its own branch; part 5 prices what prod will run
    "apigw_http_request": 1.00 / MILLION,
    "ddb_wru": 0.625 / MILLION,  # on-demand, since the November 2024 price cut
    "ddb_rru": 0.125 / MILLION,
    "ddb_wcu_hour": 0.00065,  # provisioned (the break-even below, decision 021)
    "ddb_rcu_hour": 0.00013,
    "sqs_request": 0.40 / MILLION,  # standard queue, per 64 KB chunk
    "kms_request": 0.03 / 10_000,
    "kms_key_month": 1.00,
    "logs_gb": 0.50,  # CloudWatch Logs ingestion (standard class)
    "xray_trace": 5.00 / MILLION,  # traces recorded
}
#: Lambda's own lines per invocation (START, END, REPORT with X-Ray), about 330 bytes
PLATFORM_LOG_BYTES = 330
#: SQS with a customer-managed key: a data key is reused for KmsDataKeyReusePeriodSeconds per principal and
#: queue; the producers (API functions' role) and the Sender each need GenerateDataKey or Decrypt about
#: once per period (research §7)
KMS_REUSE_SECONDS = PROD["kms_reuse_seconds"]
#: DynamoDB (through the grant it holds for each table) and CloudWatch Logs (for each encrypted log group)
#: ask KMS about once per 5 minutes of use each: UNCONFIRMED (research §7), no reuse setting changes it
KMS_SERVICE_SECONDS = 300
MONTH_SECONDS = 30 * 24 * 3600
HOURS_A_MONTH = 730
#: provisioned capacity's auto scaling keeps utilisation near this target (AWS's default, 70%)
TARGET_UTILISATION = 0.70


@dataclass
class Usage:
    """One unit of work (a request, or one message's share of a Sender batch)."""

    label: str
    lambda_ms: float
    invocations: float = 1.0
    api_requests: float = 0.0
    wru: float = 0.0
    rru: float = 0.0
    sqs_requests: float = 0.0
    log_bytes: float = 0.0
    traces: float = 0.0
    calls: dict[str, float] = field(default_factory=dict)

    def cost(self) -> dict[str, float]:
        p = PRICES
        return {
            "Lambda GB-s": self.lambda_ms / 1000 * MEMORY_GB * self.invocations * p["lambda_gb_s"],
            "Lambda requests": self.invocations * p["lambda_request"],
            "API Gateway": self.api_requests * p["apigw_http_request"],
            "DynamoDB writes": self.wru * p["ddb_wru"],
            "DynamoDB reads": self.rru * p["ddb_rru"],
            "SQS": self.sqs_requests * p["sqs_request"],
            "CloudWatch Logs": (self.log_bytes + PLATFORM_LOG_BYTES * self.invocations) / 1e9 * p["logs_gb"],
            "X-Ray": self.traces * p["xray_trace"],
        }


def kms_month(functions: int, path_roles: int = 4, tables: int = 2, log_groups: int = 5) -> dict[str, float]:
    """KMS for a month of steady traffic. SQS: at most `functions` roles x 3 queues x one request per reuse
    period (86,400 s: 30 a month). DynamoDB and CloudWatch Logs (UNCONFIRMED): about one request per 5
    minutes per table, and per log group on the priced path (the create's and the Sender's functions, the
    schedule, the stream's consumer, the API's access log), whatever the roles. The key itself is $1."""
    periods = MONTH_SECONDS / KMS_REUSE_SECONDS
    sqs = functions * 3 * periods
    services = (tables + log_groups) * MONTH_SECONDS / KMS_SERVICE_SECONDS
    requests = sqs + services
    return {
        "sqs": sqs,
        "services": services,
        "requests": requests,
        "cost": requests * PRICES["kms_request"] + PRICES["kms_key_month"],
        "path_roles": path_roles,
    }


#: the Sender's event source mapping (template.yaml): BatchSize 10, MaximumBatchingWindowInSeconds 1
SENDER_BATCH_SIZE = 10
SENDER_BATCHING_WINDOW_SECONDS = 1


def messages_per_batch(sends_a_month: float) -> float:
    """Messages one Sender invocation takes at steady traffic: the first, and those that arrive within the
    batching window after it (at most the batch size). At a million a month (0.39 a second) that is 1.39,
    not 10: the invocations, receives and deletes are per send nearly, not per ten."""
    rate = sends_a_month / MONTH_SECONDS
    return min(SENDER_BATCH_SIZE, 1 + rate * SENDER_BATCHING_WINDOW_SECONDS)


def sqs_idle_month(queues: int = 2, pollers: int = 5) -> float:
    """Requests a month of the event source mappings' long polls that find nothing (20 s each), whatever the
    volume: `pollers` per queue. AWS (Lambda, "SQS event source mapping scaling"): at low traffic Lambda
    keeps 5 concurrent batches, and only without a maximum concurrency may it go down to 2; both mappings
    here set one."""
    return queues * pollers * MONTH_SECONDS / 20


def traces(api_requests: float) -> float:
    """Traces prod records per unit: the functions trace what arrives sampled (Tracing PassThrough), and an
    HTTP API samples nothing itself (decision 022); a send is traced when its create was."""
    return api_requests * PROD["api_traced"]


def break_even(wru: float, rru: float, indexes: int = 5, tables: int = 2) -> list[str]:
    """When provisioned capacity with auto scaling costs less than on-demand, for this many units per
    invoice: provisioned pays for the peak (peak/average x the average rate, over the target utilisation)
    every hour, and every table and index at least 1 WCU and 1 RCU (the floor)."""
    p = PRICES
    month = HOURS_A_MONTH * 3600
    floor = (tables + indexes) * (p["ddb_wcu_hour"] + p["ddb_rcu_hour"]) * HOURS_A_MONTH
    lines = [
        f"provisioned: ${p['ddb_wcu_hour']}/WCU-h, ${p['ddb_rcu_hour']}/RCU-h, auto scaling at "
        f"{TARGET_UTILISATION:.0%} utilisation; floor {tables + indexes} x (1 WCU + 1 RCU)"
        f" = ${floor:.2f} a month",
        f"on-demand per invoice: {wru:.2f} WRU x ${p['ddb_wru']:.3g} + {rru:.2f} RRU x ${p['ddb_rru']:.3g}"
        f" = ${(wru * p['ddb_wru'] + rru * p['ddb_rru']) * MILLION:.2f} per million",
    ]
    for ratio in (1.0, 1.5, 2.0, 2.4, 3.0):
        # capacity-hours per invoice at this peak/average ratio
        per_invoice = (wru * p["ddb_wcu_hour"] + rru * p["ddb_rcu_hour"]) * HOURS_A_MONTH / month
        provisioned = per_invoice * ratio / TARGET_UTILISATION
        on_demand = wru * p["ddb_wru"] + rru * p["ddb_rru"]
        if provisioned >= on_demand:
            lines.append(
                f"  peak/average {ratio:g}: provisioned ${provisioned * MILLION:.2f} per million,"
                " never cheaper"
            )
            continue
        volume = floor / (on_demand - provisioned)
        lines.append(
            f"  peak/average {ratio:g}: provisioned ${provisioned * MILLION:.2f} per million + the floor;"
            f" cheaper above {volume:,.0f} invoices a month"
        )
    return lines


def report(create: Usage, send: Usage, sends_per_invoice: float, functions: int) -> dict[str, Any]:
    """Prints the arithmetic per 1,000,000 invoices (each created ISSUED, its deliveries sent)."""
    print("\n== 5. Cost per 1,000,000 invoices created (ISSUED) and sent, us-east-1 list prices (2025)")
    print(f"prices: {', '.join(f'{k} ${v:.10g}' for k, v in PRICES.items())}")
    print(
        f"prod (samconfig.toml's Stage=prod): memory {MEMORY_GB * 1024:.0f} MB, tracing {PROD['tracing']}"
        f" ({PROD['api_traced']:.0%} of API requests arrive sampled: an HTTP API), KMS data keys reused"
        f" {KMS_REUSE_SECONDS:,} s,"
        f" {PROD['billing_mode']}; {sends_per_invoice:g} send(s) per invoice"
    )
    lines: dict[str, float] = {}
    for usage, times in ((create, MILLION), (send, MILLION * sends_per_invoice)):
        logged = usage.log_bytes + PLATFORM_LOG_BYTES * usage.invocations
        print(f"\n{usage.label}, x {times:,.0f}:")
        print(
            f"  per unit: Lambda {usage.lambda_ms:.0f} ms x {usage.invocations:g} invocation(s), "
            f"API {usage.api_requests:g}, WRU {usage.wru:.2f}, RRU {usage.rru:.2f}, "
            f"SQS {usage.sqs_requests:.2f}, logs {logged:.0f} B, "
            f"traces {usage.traces:g}"
        )
        for item, dollars in usage.cost().items():
            total = dollars * times
            lines[item] = lines.get(item, 0.0) + total
            print(f"  {item:<18}${total:>10.2f}")
    kms = kms_month(functions)
    lines["KMS (a month)"] = kms["cost"]
    idle = sqs_idle_month()
    lines["SQS idle polls (a month)"] = idle * PRICES["sqs_request"]
    print(
        f"\nSQS, a month whatever the volume: the long polls of 2 event source mappings (SendQueue,"
        f" ChannelEventsQueue) x 5 pollers x one per 20 s = {idle:,.0f} requests"
        f" = ${lines['SQS idle polls (a month)']:.2f}"
    )
    print(
        f"\nKMS, a month whatever the volume: SQS at most {functions} roles x 3 queues x one request per "
        f"{KMS_REUSE_SECONDS:,} s = {kms['sqs']:,.0f}; DynamoDB and Logs ~one per {KMS_SERVICE_SECONDS} s"
        f" per table and log group on the path (7) = {kms['services']:,.0f}; {kms['requests']:,.0f}"
        f" requests + 1 key = ${kms['cost']:.2f}"
    )
    total = sum(lines.values())
    print(f"\n{'service':<22}{'USD per 1M invoices':>20}")
    for item, dollars in sorted(lines.items(), key=lambda kv: -kv[1]):
        print(f"{item:<22}{dollars:>20.2f}")
    print(f"{'total':<22}{total:>20.2f}  (= ${total / MILLION * 1000:.3f} per 1,000 invoices)")
    print(f"\ncapacity mode (prod: {PROD['billing_mode']}; decision 021):")
    for line in break_even(
        create.wru + send.wru * sends_per_invoice, create.rru + send.rru * sends_per_invoice
    ):
        print(f"  {line}")
    return {"lines": lines, "total": total}


def capacity_units(
    size_bytes: int, write: bool, transactional: bool = False, consistent: bool = True
) -> float:
    """Units one item costs: a write 1 WRU per 1 KB, a strongly consistent read 1 RRU per 4 KB (half that
    eventually consistent); transactions cost double."""
    if write:
        units = float(max(1, math.ceil(size_bytes / 1024)))
    else:
        units = max(1, math.ceil(size_bytes / 4096)) * (1.0 if consistent else 0.5)
    return units * (2 if transactional else 1)
