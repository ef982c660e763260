"""`python scripts/bench_render.py`: what the invoice PDF costs (connectors/pdf.py, decision 011).

- Warm renders of the sample invoice (scripts/render_sample.py) with 1 and with 50 lines: median and p95
  of RENDERS renders after one warm-up, the PDF's size and its pages.
- Cold: in a fresh interpreter, the import of `invoice_hub.connectors.pdf` (reportlab is not imported
  yet: most of it is the domain's models, which every function loads anyway), then the first render of
  the 1-line invoice (which imports reportlab and segno and registers the fonts); wall-clock ms, median
  of COLD_RUNS fresh interpreters after one that fills the .pyc cache.

`render_figures()` returns the figures for scripts/bench.py to print with the rest.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from render_sample import sample

from invoice_hub.connectors.pdf import render

ROOT = Path(__file__).resolve().parents[1]
RENDERS = 50
COLD_RUNS = 7
LINES = (1, 50)
#: a fresh interpreter: the renderer's import, then a first render (reportlab, segno, the fonts)
COLD_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import invoice_hub.domain.document
t1 = time.perf_counter()
import invoice_hub.connectors.pdf as pdf
t2 = time.perf_counter()
sys.path.insert(0, "scripts")
from render_sample import sample
document = sample(1)
t3 = time.perf_counter()
pdf.render(document)
t4 = time.perf_counter()
print(json.dumps({"import_ms": (t2 - t0) * 1000, "domain_ms": (t1 - t0) * 1000,
                  "first_render_ms": (t4 - t3) * 1000}))
"""


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    return sorted(values)[math.ceil(0.95 * len(values)) - 1]


def warm(lines: int) -> dict[str, float]:
    document = sample(lines)
    pdf = render(document)  # warm-up: imports, fonts
    times = []
    for _ in range(RENDERS):
        began = time.perf_counter()
        render(document)
        times.append((time.perf_counter() - began) * 1000)
    return {
        "median_ms": statistics.median(times),
        "p95_ms": p95(times),
        "bytes": len(pdf),
        "pages": len(re.findall(rb"/Type /Page\b(?!s)", pdf)),
    }


def cold_once() -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - this interpreter, this script's own code
        [sys.executable, "-c", COLD_CHILD],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def cold() -> dict[str, float]:
    cold_once()  # fills the .pyc cache; not counted
    runs = [cold_once() for _ in range(COLD_RUNS)]
    figures = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    figures["total_ms"] = statistics.median(run["import_ms"] + run["first_render_ms"] for run in runs)
    return figures | {"runs": COLD_RUNS}


def render_figures() -> dict[str, Any]:
    """{"warm": {lines: {median_ms, p95_ms, bytes, pages}}, "cold": {import_ms (of which domain_ms: the
    domain's models, pydantic, which any function has loaded already), first_render_ms, total_ms, runs},
    "renders": RENDERS}"""
    return {"warm": {lines: warm(lines) for lines in LINES}, "cold": cold(), "renders": RENDERS}


def report(figures: dict[str, Any]) -> None:
    """The figures as `make bench` (part 6) and this script print them."""
    print(f"invoice PDF, warm: median and p95 of {figures['renders']} renders after one")
    print(f"{'lines':>6}{'median ms':>11}{'p95 ms':>9}{'PDF bytes':>11}{'pages':>7}")
    for lines, f in figures["warm"].items():
        print(f"{lines:>6}{f['median_ms']:>11.1f}{f['p95_ms']:>9.1f}{f['bytes']:>11,}{f['pages']:>7}")
    c = figures["cold"]
    print(
        f"cold, a fresh interpreter (median of {c['runs']}): import invoice_hub.connectors.pdf "
        f"{c['import_ms']:.1f} ms (of which the domain's models, pydantic: {c['domain_ms']:.1f} ms)"
    )
    print(
        f"  + first render (1 line; imports reportlab and segno, registers the fonts) "
        f"{c['first_render_ms']:.1f} ms = {c['total_ms']:.1f} ms"
    )


def main() -> None:
    report(render_figures())


if __name__ == "__main__":
    main()
