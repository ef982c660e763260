"""`make bench` part 6: the invoice document and the Sender's channels.

- Render time and size of a 1-line and a 50-line invoice, warm (median and p95 of 50 renders after one).
- The Sender's cold init with every connector: a fresh interpreter imports the Sender's handler, then
  builds the connector of every method (SES and SNS clients, the HTTP client, the Stripe SDK) and renders
  one document (reportlab, the fonts); CPU time against the floor, as part 1 measures it.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_render import render_figures, report  # noqa: E402

#: a fresh Sender: its handler's import (init), then every connector and a first render (channels)
SENDER_CHILD = """
import importlib.util, json, sys, time
sys.path.insert(0, "scripts")
t0, c0 = time.perf_counter(), time.process_time()
spec = importlib.util.spec_from_file_location("bench_sender", "functions/sender/app.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t1, c1 = time.perf_counter(), time.process_time()
from invoice_hub.domain.delivery import Method
from invoice_hub.entry import wiring
channels = wiring.channels()
for method in Method:
    channels.connector(method)
from invoice_hub.connectors.cards import stripe_client
stripe_client("sk_test_bench", None, 10.0)
t2, c2 = time.perf_counter(), time.process_time()
from render_sample import sample
from invoice_hub.connectors.pdf import render
render(sample(1))
t3, c3 = time.perf_counter(), time.process_time()
print(json.dumps({"init": (c1 - c0) * 1000, "channels": (c2 - c1) * 1000, "render": (c3 - c2) * 1000,
                  "wall": (t3 - t0) * 1000}))
"""


def documents(
    run_child: Any, floor_child: str, env: dict[str, str], runs: int, goal: float
) -> dict[str, Any]:
    print("\n== 6. The invoice document and the Sender's channels")
    figures = render_figures()
    report(figures)
    run_child(["-c", SENDER_CHILD], env)  # fills the .pyc cache; not measured
    rows = []
    for _ in range(runs):
        floor = run_child(["-c", floor_child], env)[0]
        result = run_child(["-c", SENDER_CHILD], env)[0]
        rows.append(
            {key: value / floor["cpu"] for key, value in result.items() if key != "wall"}
            | {"floor": floor["cpu"]}
        )
    init = statistics.median(r["init"] for r in rows)
    channels = statistics.median(r["init"] + r["channels"] for r in rows)
    rendered = statistics.median(r["init"] + r["channels"] + r["render"] for r in rows)
    floor_cpu = statistics.median(r["floor"] for r in rows)
    print(
        f"Sender cold init, CPU x the floor ({floor_cpu:.0f} ms), median of {runs} pairs (goal: <= {goal}x):"
    )
    print(f"  the handler's import: {init:.2f}x {'PASS' if init <= goal else 'over'}")
    print(
        f"  + every connector built (SES, SNS, HTTP, Stripe SDK): {channels:.2f}x "
        f"{'PASS' if channels <= goal else 'over'}"
    )
    print(f"  + a first render (reportlab, fonts): {rendered:.2f}x (paid by the first e-mail or letter only)")
    return {"render": figures, "sender": {"init": init, "channels": channels, "render": rendered}}
