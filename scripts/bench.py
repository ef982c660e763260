"""`make bench`: cold init per function, AWS calls per request, local latency (see docs/performance.md).

It reports; it is not a test: a missed target is printed as "over" and the exit status stays 0.
Only a crash (a failed request, a child that cannot import its function) exits non-zero.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from invoice_hub.dal.dynamo import dynamodb_client
from invoice_hub_local.gateway import proxy_event
from invoice_hub_local.seed import demo_tenant_id
from invoice_hub_local.stack import LocalStack, aws_environment
from invoice_hub_local.template import FunctionSpec

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
GOAL = 1.5  # the issue's goal: cold init at most 1.5x the floor
FLOOR = 'import boto3; boto3.client("dynamodb", region_name="us-east-1")'
DEMO_USER = {"username": "demo@invoice-hub.local", "password": "DemoPass-123!"}
ADMIN_USER = {"username": "admin@invoice-hub.local", "password": "AdminPass-123!"}
# One cold start in a fresh interpreter: import the handler's module ("init"); create the layer's DynamoDB
# client, which the module defers to first use, when the template lets the function use DynamoDB
# ("client"); then call the handler twice with a real proxy event (stdin) against the local stack. The
# first call minus the second is what only a first request pays ("extra"): the other clients, deferred
# imports (jwt), the JWKS fetch, first-use costs of pydantic and Powertools.
CHILD = """
import importlib.util, json, sys, time, types
event = json.load(sys.stdin)
context = types.SimpleNamespace(
    function_name="bench", memory_limit_in_mb=512, aws_request_id="bench",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:bench",
    get_remaining_time_in_millis=lambda: 10_000)
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location(sys.argv[1], sys.argv[2])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
t1 = time.perf_counter()
if sys.argv[4] == "dynamodb":
    from invoice_hub.dal.dynamo import dynamodb_client
    dynamodb_client()
t2 = time.perf_counter()
first = getattr(module, sys.argv[3])(event, context)
t3 = time.perf_counter()
getattr(module, sys.argv[3])(event, context)
t4 = time.perf_counter()
ms = {"init": t1 - t0, "client": t2 - t1, "extra": (t3 - t2) - (t4 - t3)}
print(json.dumps({"status": first["statusCode"], **{k: v * 1000 for k, v in ms.items()}}))
"""
FLOOR_CHILD = f"""
import json, time
t0 = time.perf_counter()
{FLOOR}
print(json.dumps({{"init": (time.perf_counter() - t0) * 1000}}))
"""


class Function:
    """One template function as the cold-start child runs it: arguments and the event of its request."""

    def __init__(
        self, local: LocalStack, spec: FunctionSpec, tokens: dict[str, str], invoice_id: str
    ) -> None:
        self.name, self.code_dir = spec.logical_id, spec.code_dir
        role = local.stack.template["Resources"].get(f"{spec.logical_id}Role", {})
        self.client = "dynamodb" if "dynamodb:" in json.dumps(role) else "none"
        route = spec.routes[0]
        headers, payload, params = request_for(route.method, route.path, tokens, invoice_id)
        path = route.path
        for name, value in params.items():
            path = path.replace(f"{{{name}}}", value)
        environ = EnvironBuilder(path=path, method=route.method, headers=headers, **payload).get_environ()
        self.event = json.dumps(proxy_event(Request(environ), route, params))
        self.module, _, self.handler = spec.handler.rpartition(".")

    def args(self, code_dir: Path | None = None) -> list[str]:
        module_file = (code_dir or self.code_dir) / f"{self.module.replace('.', '/')}.py"
        return ["-c", CHILD, f"bench_fn_{self.code_dir.name}", str(module_file), self.handler, self.client]


def request_for(
    method: str, path: str, tokens: dict[str, str], invoice_id: str
) -> tuple[list[tuple[str, str]], dict[str, Any], dict[str, str]]:
    """(headers, body, path parameters) of a request each contract's function answers without a 401, 403
    or 5xx. Writes that must not really happen twice name an id that does not exist (a 404 both times)."""
    unknown = str(uuid.uuid4())
    params = {
        "id": unknown if method == "DELETE" or path.startswith("/billing/") else invoice_id,
        "practiceid": str(demo_tenant_id("demo-practice")),
        "invoiceId": unknown,
        "sentDate": time.strftime("%Y-%m-%d", time.gmtime()),
        "version": "v1",
    }
    params = {name: value for name, value in params.items() if f"{{{name}}}" in path}
    if path.startswith("/billing/"):
        headers = [("TENANT", "demo-practice"), ("API-KEY", "demo-api-key")]
        bodies: dict[str, dict[str, Any]] = {
            "/billing/invoice/create": {
                "patientId": "pat_bench",
                "message": "bench",
                "invoiceMethod": "EMAIL",
                "charges": [{"description": "Visit", "totalOutstanding": 100}],
            },
            "/billing/invoice/execute-action": {"invoiceSetIds": [unknown], "actionType": "pause"},
            "/billing/invoice/retry-method": {"invoiceId": unknown, "invoiceMethod": "SMS"},
        }
        return headers, ({"json": bodies[path]} if path in bodies else {}), params
    if path.startswith(("/ebh/", "/statuses/")):
        headers = [("ProducerId", "demo-producer"), ("ProviderKey", "demo-provider-key")]
        if method == "POST":  # InvoiceId unique per request: a resubmission would be refused (409)
            lines = [{"Description": "Visit", "UnitPrice": 80}]
            payors = [{"PayorOrgId": "111", "PayorOrgEBillingId": "222"}]
            return (
                headers,
                {"json": {"InvoiceId": unknown[:32], "Lines": lines, "Payors": payors}},
                {"version": "v1"},
            )
        return headers, {"query_string": "InvoiceId=4326"}, {"version": "v1"}
    if path.startswith("/api/v1/"):
        return [("Authorization", f"Bearer {tokens['admin']}")], {}, params
    if path == "/auth/token":
        return [], {"data": DEMO_USER}, params
    payload = {"json": body(str(uuid.uuid4()), str(uuid.uuid4()))} if method in ("POST", "PUT") else {}
    return [("Authorization", f"Bearer {tokens['user']}")], payload, params


def child_env(local: LocalStack, pycache: str) -> dict[str, str]:
    """The functions' environment against the local stack. Byte code goes to (and comes from) a cache of
    the bench's own: every child after the first reads .pyc for everything, whatever the caller's
    PYTHONDONTWRITEBYTECODE, and nothing is written into the repository or the venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHON"))}
    env["PYTHONPYCACHEPREFIX"] = pycache
    env.update(aws_environment(local.aws_endpoint), **local.environment)
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    env["AWS_SECRET_ACCESS_KEY"] = "bench"  # noqa: S105 - moto accepts any key; no account is used
    return env


def run_child(args: list[str], env: dict[str, str], event: str = "") -> tuple[dict[str, float], str]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *args], input=event, env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or json.loads(lines[-1]).get("status", 200) in (401, 403, 500, 502):
        shown = " ".join(arg for arg in args if "\n" not in arg)
        raise RuntimeError(f"child ({shown}) failed: {lines[-1:]}\n{done.stderr[-2000:]}")
    return json.loads(lines[-1]), done.stderr


def verdict(value: float, floor: float) -> str:
    ratio = round(value / floor, 2)
    return f"{ratio:5.2f} {'PASS' if ratio <= GOAL else 'over'}"


def import_breakdown(fn: Function, env: dict[str, str]) -> tuple[list[tuple[str, float]], set[str]]:
    """Self import time summed per top-level package under -X importtime, for one first request; and
    every top-level module that request imports."""
    _, stderr = run_child(["-X", "importtime", *fn.args()], env, fn.event)
    per_package: defaultdict[str, float] = defaultdict(float)
    for line in stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, _, name = line.removeprefix("import time:").split("|")
            per_package[name.strip().split(".")[0]] += int(self_us) / 1000
    return sorted(per_package.items(), key=lambda kv: -kv[1])[:5], set(per_package)


def without_pyc(fn: Function, env: dict[str, str], roots: set[str]) -> tuple[float, float]:
    """(floor, first request) with the packages as `sam build` ships a layer: wheels unzipped and *.pyc /
    __pycache__ left out, so on a read-only /opt every cold start compiles them (and app.py) from source."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    with tempfile.TemporaryDirectory() as tmp:
        layer, task = Path(tmp, "python"), Path(tmp, "task")
        shutil.copytree(fn.code_dir, task, ignore=skip)
        layer.mkdir()
        for root in sorted(roots):  # the project's and the venv's modules; the stdlib keeps its .pyc
            found = importlib.util.find_spec(root) if root.isidentifier() else None
            origin = Path(found.origin) if found and found.origin else None
            if found is None or origin is None or not origin.is_relative_to(ROOT):
                continue
            if found.submodule_search_locations:
                shutil.copytree(origin.parent, layer / root, ignore=skip)
            else:
                shutil.copy2(origin, layer / origin.name)
        env = {**env, "PYTHONPATH": str(layer), "PYTHONDONTWRITEBYTECODE": "1"}
        floor = [run_child(["-S", "-c", FLOOR_CHILD], env)[0]["init"] for _ in range(RUNS)]
        runs = [run_child(["-S", *fn.args(task)], env, fn.event)[0] for _ in range(RUNS)]
    return statistics.median(floor), statistics.median(r["init"] + r["client"] + r["extra"] for r in runs)


def cold_init(functions: list[Function], env: dict[str, str]) -> dict[str, Any]:
    startup: list[float] = []
    floor: list[float] = []
    samples: dict[str, list[dict[str, float]]] = {fn.name: [] for fn in functions}
    for run in range(RUNS + 1):  # run 0 fills the .pyc cache and the page cache; it is discarded
        began = time.perf_counter()
        run_child(["-c", "print({})"], env)
        wall = (time.perf_counter() - began) * 1000
        measured = run_child(["-c", FLOOR_CHILD], env)[0]["init"]
        for fn in functions:
            result = run_child(fn.args(), env, fn.event)[0]
            if run:
                samples[fn.name].append(result)
        if run:
            startup.append(wall)
            floor.append(measured)
    floor_ms = statistics.median(floor)
    print(f"\n== 1. Cold init, fresh process, median of {RUNS} runs (goal: <= {GOAL}x the floor)")
    print(f"floor `{FLOOR}`: {floor_ms:.0f} ms")
    print(f"(interpreter start-up, common to all and not included: {statistics.median(startup):.0f} ms)")
    print(f"{'function':<26}{'init ms':>8}{'x floor':>11}{'+client ms':>12}{'x floor':>11}", end="")
    print(f"{'1st request ms':>16}{'x floor':>11}")
    rows: dict[str, tuple[float, float, float]] = {}
    for fn in functions:
        runs = samples[fn.name]
        init = statistics.median(r["init"] for r in runs)
        client = statistics.median(r["init"] + r["client"] for r in runs)
        first = statistics.median(r["init"] + r["client"] + r["extra"] for r in runs)
        rows[fn.name] = (init, client, first)
        shown = f"{client:12.0f}{verdict(client, floor_ms):>11}" if fn.client != "none" else f"{'-':>23}"
        print(f"{fn.name:<26}{init:8.0f}{verdict(init, floor_ms):>11}{shown}", end="")
        print(f"{first:16.0f}{verdict(first, floor_ms):>11}")
    slowest = next(fn for fn in functions if rows[fn.name][2] == max(r[2] for r in rows.values()))
    print(f"\nCostliest packages of {slowest.name}'s first request (self time summed, -X importtime):")
    top, roots = import_breakdown(slowest, env)
    for package, ms in top:
        print(f"  {package:<24}{ms:8.1f} ms")
    floor_src, first_src = without_pyc(slowest, env, roots)
    print(f"\nWithout .pyc for the layer and app.py (as `sam build` ships them), median of {RUNS}:")
    print(f"  floor, boto3 from that copy too: {floor_src:.0f} ms")
    ratios = f"{first_src / floor_src:.2f}x that floor, {first_src / floor_ms:.2f}x the floor with .pyc"
    print(f"  {slowest.name} first request: {first_src:.0f} ms = {ratios}")
    return {"floor": floor_ms, "rows": rows}


class CallLog:
    """Every AWS call the functions make through the layer's DynamoDB client."""

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.total: Counter[str] = Counter()
        self.scanned = 0
        self.count = 0

    def before_call(self, model: Any, **_: Any) -> None:
        self.ops.append(model.name)
        self.total[model.name] += 1

    def after_query(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.scanned += int(parsed.get("ScannedCount", 0))
        self.count += int(parsed.get("Count", 0))

    def reset(self) -> None:
        self.ops.clear()
        self.scanned = self.count = 0


def call(http: httpx.Client, log: CallLog, method: str, path: str, **kwargs: Any) -> httpx.Response:
    log.reset()
    response = http.request(method, path, **kwargs)
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:300]}")
    return response


def body(patient: str, appointment: str, status: str = "DRAFT") -> dict[str, Any]:
    items = [{"description": "Consultation", "unit_price": 120}]
    return {"patient_id": patient, "appointment_id": appointment, "status": status, "items": items}


def calls_per_request(http: httpx.Client, log: CallLog) -> tuple[list[tuple[str, int, int]], str]:
    """Each request's AWS calls; then ScannedCount / Count of the indexed filters over 60 invoices."""
    rows: list[tuple[str, int, int]] = []
    print("\n== 2. AWS calls per request (the functions' DynamoDB client, botocore before-call hook)")
    print(f"{'request':<50}{'calls':>6}{'target':>8}  {'verdict':<8} operations")

    def row(label: str, target: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = call(http, log, method, path, **kwargs)
        verdict = "PASS" if len(log.ops) <= target else "over"
        print(f"{label:<50}{len(log.ops):>6}{'<= ' + str(target):>8}  {verdict:<8} {', '.join(log.ops)}")
        rows.append((label, len(log.ops), target))
        return response

    patient, appointment = str(uuid.uuid4()), str(uuid.uuid4())
    one = row("POST /invoice/ (no Idempotency-Key)", 3, "POST", "/invoice/", json=body(patient, appointment))
    invoice_id = one.json()["id"]
    keyed = {"json": body(patient, appointment), "headers": {"Idempotency-Key": str(uuid.uuid4())}}
    draft = row("POST /invoice/ (Idempotency-Key, first time)", 3, "POST", "/invoice/", **keyed).json()
    again = row("POST /invoice/ (same key and body, replayed)", 3, "POST", "/invoice/", **keyed)
    if again.headers.get("Idempotent-Replayed") != "true" or again.json()["id"] != draft["id"]:
        raise RuntimeError("the repeated Idempotency-Key was not replayed")
    row("GET /invoice/{id}", 1, "GET", f"/invoice/{invoice_id}")
    row(
        "PUT /invoice/{id} (a DRAFT edited)",
        2,
        "PUT",
        f"/invoice/{invoice_id}",
        json=body(patient, appointment),
    )
    issue = body(patient, appointment, "ISSUED")
    # Issuing also reads the tenant's destinations (cached a minute per container; the first issue of
    # a container pays it) and writes the deliveries in the same transaction, then enqueues them (SQS).
    row(
        "PUT /invoice/{id} (DRAFT -> ISSUED, tenant not cached)",
        3,
        "PUT",
        f"/invoice/{invoice_id}",
        json=issue,
    )
    row("DELETE /invoice/{id} (a DRAFT; no target given)", 1, "DELETE", f"/invoice/{draft['id']}")

    patients = [str(uuid.uuid4()) for _ in range(3)]
    appointments = [str(uuid.uuid4()) for _ in range(2)]
    for n in range(60):  # 60 more invoices: 3 patients, 2 appointments, half ISSUED
        status = "ISSUED" if n % 4 < 2 else "DRAFT"
        call(http, log, "POST", "/invoice/", json=body(patients[n % 3], appointments[n % 2], status))
    filters = {
        "status=ISSUED": {"status": "ISSUED"},
        "patient_id=<p1>": {"patient_id": patients[0]},
        "appointment_id=<a1>": {"appointment_id": appointments[0]},
        "status=ISSUED&patient_id=<p1> (info)": {"status": "ISSUED", "patient_id": patients[0]},
    }
    row("GET /invoice/ (no filter, default limit 100)", 2, "GET", "/invoice/")
    row("GET /invoice/?limit=10 (total needs a count)", 2, "GET", "/invoice/", params={"limit": 10})
    row("GET /invoice/?order_by=-total_amount", 2, "GET", "/invoice/", params={"order_by": "-total_amount"})
    ratios: list[tuple[str, int, int, int, int]] = []
    for label, params in filters.items():
        page = row(f"GET /invoice/?{label}", 2, "GET", "/invoice/", params=params).json()
        ratios.append((label, log.scanned, log.count, len(page["data"]), page["total"]))

    print("\nScannedCount / Count of the filtered lists (after-call.dynamodb.Query hook; expected 1.0)")
    print(f"{'filter':<40}{'Scanned':>9}{'Count':>7}{'ratio':>7}{'rows/total':>12}")
    for label, scanned, count, returned, total in ratios:
        ratio = f"{scanned / count:.2f}" if count else "n/a"
        print(f"{label:<40}{scanned:>9}{count:>7}{ratio:>7}{f'{returned}/{total}':>12}")
    return rows, invoice_id


def latency(http: httpx.Client, log: CallLog, invoice_id: str, n: int = 50) -> None:
    print(f"\n== 3. Latency through the local gateway and moto ({n} sequential requests; informational)")
    print(f"{'request':<22}{'median ms':>10}{'p95 ms':>9}")
    cases: dict[str, tuple[str, str, dict[str, Any]]] = {
        "GET /invoice/{id}": ("GET", f"/invoice/{invoice_id}", {}),
        "POST /invoice/": ("POST", "/invoice/", {"json": body(str(uuid.uuid4()), str(uuid.uuid4()))}),
    }
    for label, (method, path, kwargs) in cases.items():
        times: list[float] = []
        for _ in range(n):
            began = time.perf_counter()
            call(http, log, method, path, **kwargs)
            times.append((time.perf_counter() - began) * 1000)
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        print(f"{label:<22}{statistics.median(times):>10.1f}{p95:>9.1f}")


def main() -> int:
    for noisy in ("werkzeug", "botocore", "moto", "invoice_hub_local"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its feature-toggle and metrics notes
    machine = f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}"
    print(f"invoice-hub bench: {machine}")
    local = LocalStack(port=0, run_triggers=False).start()  # no background sends in the counts
    log = CallLog()
    try:
        client = dynamodb_client()  # the lru_cached client every function of this process shares
        client.meta.events.register("before-call.*.*", log.before_call)
        client.meta.events.register("after-call.dynamodb.Query", log.after_query)
        with httpx.Client(base_url=local.url, timeout=30) as http:
            signed_in = http.post("/auth/token", data=DEMO_USER)
            signed_in.raise_for_status()
            token = signed_in.json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            sample = call(http, log, "POST", "/invoice/", json=body(str(uuid.uuid4()), str(uuid.uuid4())))
            api = [spec for spec in local.stack.functions.values() if spec.routes]  # not queue consumers
            specs = sorted(api, key=lambda spec: spec.logical_id)
            admin = http.post("/auth/token", data=ADMIN_USER)
            admin.raise_for_status()
            tokens = {"user": token, "admin": admin.json()["access_token"]}
            functions = [Function(local, spec, tokens, sample.json()["id"]) for spec in specs]
            with tempfile.TemporaryDirectory() as pycache:
                cold = cold_init(functions, child_env(local, pycache))
            rows, invoice = calls_per_request(http, log)
            latency(http, log, invoice)
    finally:
        local.stop()

    floor, inits = cold["floor"], cold["rows"]
    passing = [sum(round(values[i] / floor, 2) <= GOAL for values in inits.values()) for i in range(3)]
    over = [f"{label} ({calls} > {target})" for label, calls, target in rows if calls > target]
    print("\n== Summary")
    print(f"functions within {GOAL}x the floor ({floor:.0f} ms), of {len(inits)}:")
    print(f"  import only: {passing[0]}; + DynamoDB client: {passing[1]}; whole first request: {passing[2]}")
    print(f"AWS calls within target: {len(rows) - len(over)}/{len(rows)}; over: {over or 'none'}")
    print(f"Scan calls in the whole run: {log.total['Scan']}")
    print(f"operations of the whole run: {dict(sorted(log.total.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
