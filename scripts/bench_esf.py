"""Part 8 of the bench: what reading an eSF invoice costs, and what a hostile document costs (an XML bomb,
an external entity, deep nesting, a document at the size limit): each refused in milliseconds, never
expanded, never read from disk. The times are of the reader alone and of the whole SubmissionRequests
call over the local stack's HTTP."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from invoice_hub.contracts.ebh import esf
from invoice_hub.contracts.http import MAX_BODY_BYTES

EVENTS = Path(__file__).resolve().parent.parent / "events" / "ebh_submission_request"
RUNS = 50
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<esfdoc>&lol9;</esfdoc>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE esfdoc [<!ENTITY secret SYSTEM "file:///etc/passwd">]><esfdoc>&secret;</esfdoc>"""


def documents() -> dict[str, bytes]:
    sample = (EVENTS / "esf_2_0_2_two_payors.xml").read_bytes()
    filler = b"<!--" + b"x" * (MAX_BODY_BYTES - len(sample) - 64) + b"-->"
    return {
        "the two-payor sample": sample,
        "an XML bomb": BOMB,
        "an external entity": XXE,
        "10,000 levels deep": b"<esfdoc>" + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</esfdoc>",
        f"the sample padded to {MAX_BODY_BYTES:,} bytes": sample.replace(b"<esfdoc>", b"<esfdoc>" + filler),
    }


def timed(action: Callable[[], Any], runs: int = RUNS) -> tuple[float, float]:
    """(median, max) in milliseconds."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times)


def read(document: bytes) -> str:
    try:
        esf.read(document, "v1")
    except esf.EsfInvalid:
        return "refused"
    return "read"


def esf_costs(http: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    print(f"\n== 8. eSF invoices: the reader, and SubmissionRequests over HTTP (median / max of {RUNS})")
    rows: dict[str, Any] = {}
    for name, document in documents().items():
        outcome = read(document)
        reader = timed(lambda document=document: read(document))
        answers: list[int] = []

        def submit(document: bytes = document, answers: list[int] = answers) -> None:
            answer = http.post(
                "/ebh/submissions/v1/SubmissionRequests",
                content=document,
                headers={**headers, "Content-Type": "application/xml", "InvoiceType": "ESF"},
            )
            answers.append(answer.status_code)

        # the valid sample is submitted once (again it is a 409: the invoice is with its payor orgs)
        over_http = timed(submit, 1 if outcome == "read" else RUNS)
        rows[name] = {"reader": reader, "http": over_http, "status": sorted(set(answers))}
        print(
            f"  {name}: {outcome}; reader {reader[0]:.2f} / {reader[1]:.2f} ms; "
            f"HTTP {over_http[0]:.1f} / {over_http[1]:.1f} ms, answered {sorted(set(answers))}"
        )
    return rows
