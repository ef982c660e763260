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
MEMORY_GB = 512 / 1024  # template.yaml Globals: MemorySize 512 (every function)
#: us-east-1 list prices (USD), as of 2025
PRICES = {
    "lambda_gb_s": 0.0000133334,  # arm64, first 7.5 billion GB-s a month
    "lambda_request": 0.20 / MILLION,
    "apigw_rest_request": 3.50 / MILLION,  # REST API, first 333 million a month
    "ddb_wru": 0.625 / MILLION,  # on-demand, since the November 2024 price cut
    "ddb_rru": 0.125 / MILLION,
    "sqs_request": 0.40 / MILLION,  # standard queue, per 64 KB chunk
    "kms_request": 0.03 / 10_000,
    "kms_key_month": 1.00,
    "logs_gb": 0.50,  # CloudWatch Logs ingestion (standard class)
    "xray_trace": 5.00 / MILLION,  # Tracing: Active on the functions and the API stage
}
#: Lambda's own lines per invocation (START, END, REPORT with X-Ray), about 330 bytes
PLATFORM_LOG_BYTES = 330
#: SQS with a customer-managed key: a data key is reused for KmsDataKeyReusePeriodSeconds (default 300)
#: per principal and queue; the producers (API functions' role) and the Sender each need GenerateDataKey
#: or Decrypt about once per period
KMS_REUSE_SECONDS = 300
MONTH_SECONDS = 30 * 24 * 3600


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
            "API Gateway": self.api_requests * p["apigw_rest_request"],
            "DynamoDB writes": self.wru * p["ddb_wru"],
            "DynamoDB reads": self.rru * p["ddb_rru"],
            "SQS": self.sqs_requests * p["sqs_request"],
            "CloudWatch Logs": (self.log_bytes + PLATFORM_LOG_BYTES * self.invocations) / 1e9 * p["logs_gb"],
            "X-Ray": self.traces * p["xray_trace"],
        }


def kms_month(functions: int) -> dict[str, float]:
    """KMS for a month of steady traffic, an upper bound: SQS and DynamoDB each ask KMS for a data key
    (GenerateDataKey / Decrypt) about once per reuse period (5 minutes) per calling principal and
    resource; every function has a role of its own and touches at most the table, the idempotency
    table and SendQueue (or its DLQ). The key itself is $1 a month."""
    requests = functions * 3 * MONTH_SECONDS / KMS_REUSE_SECONDS
    return {"requests": requests, "cost": requests * PRICES["kms_request"] + PRICES["kms_key_month"]}


def report(create: Usage, send: Usage, sends_per_invoice: float, functions: int) -> dict[str, Any]:
    """Prints the arithmetic per 1,000,000 invoices (each created ISSUED, its deliveries sent)."""
    print("\n== 5. Cost per 1,000,000 invoices created (ISSUED) and sent, us-east-1 list prices (2025)")
    print(f"prices: {', '.join(f'{k} ${v:.10g}' for k, v in PRICES.items())}")
    print(f"memory {MEMORY_GB * 1024:.0f} MB (template Globals), {sends_per_invoice:g} send(s) per invoice")
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
    print(
        f"\nKMS, a month whatever the volume (at most {functions} roles x 3 resources x one request per "
        f"{KMS_REUSE_SECONDS} s): {kms['requests']:,.0f} requests + 1 key = ${kms['cost']:.2f}"
    )
    total = sum(lines.values())
    print(f"\n{'service':<22}{'USD per 1M invoices':>20}")
    for item, dollars in sorted(lines.items(), key=lambda kv: -kv[1]):
        print(f"{item:<22}{dollars:>20.2f}")
    print(f"{'total':<22}{total:>20.2f}  (= ${total / MILLION * 1000:.3f} per 1,000 invoices)")
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
