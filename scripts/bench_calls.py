"""`make bench`, part 2: the AWS calls each request makes, for every operation of the OpenAPI document, and
ScannedCount / Count of every list.

The functions run inside the bench's process (the local gateway), so the layer's cached clients
(DynamoDB, SQS, Cognito) are the ones every function uses; a botocore `before-call` handler on each
counts the calls of one request.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from bench_cost import capacity_units

from invoice_hub.config import get_settings
from invoice_hub.dal.deliveries import delivery_repository
from invoice_hub.dal.dynamo import dynamodb_client
from invoice_hub.dal.identity import cognito_client
from invoice_hub.dal.queue_client import sqs_client
from invoice_hub.domain.delivery import Delivery, DeliveryStatus, Destination, HistoryEntry, Method
from invoice_hub_local.seed import demo_tenant_id
from invoice_hub_local.template import load_yaml

ROOT = Path(__file__).resolve().parents[1]
OPENAPI = ROOT / "layers/invoice_hub/python/invoice_hub/contracts/openapi.json"
DEMO_USER = {"username": "demo@invoice-hub.local", "password": "DemoPass-123!"}
ADMIN_USER = {"username": "admin@invoice-hub.local", "password": "AdminPass-123!"}
DECODA = {"TENANT": "demo-practice", "API-KEY": "demo-api-key"}
EBH = {"ProducerId": "demo-producer", "ProviderKey": "demo-provider-key"}
#: deliveries of each listed status seeded for the lists (and as many again for the other practice)
LISTED = 20


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one typed attribute value (an estimate close to its sizing rules)."""
    kind, data = next(iter(value.items()))
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return len(str(data).lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(data)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: one}) for one in data)
    if kind == "L":
        return 3 + sum(1 + attribute_size(one) for one in data)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + attribute_size(one) for name, one in data.items())
    return 1  # BOOL, NULL


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


@lru_cache(maxsize=1)
def projections() -> dict[str, frozenset[str] | None]:
    """The table's indexes, from template.yaml, by the attribute prefix they key on (GSI1 for GSI1PK /
    GSI1SK): the non-key attributes each projects (None for ALL)."""
    table = load_yaml(ROOT / "template.yaml")["Resources"]["Table"]["Properties"]
    found: dict[str, frozenset[str] | None] = {}
    for index in table["GlobalSecondaryIndexes"]:
        prefix = index["KeySchema"][0]["AttributeName"][:-2]
        projection = index["Projection"]
        kind = projection["ProjectionType"]
        found[prefix] = None if kind == "ALL" else frozenset(projection.get("NonKeyAttributes", ()))
    return found


def index_entry(item: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    """What the index keyed on `<prefix>PK` holds of an item (None when the item is not in it)."""
    if f"{prefix}PK" not in item:
        return None
    projected = projections()[prefix]
    if projected is None:
        return item
    names = {"PK", "SK", f"{prefix}PK", f"{prefix}SK", *projected}
    return {name: value for name, value in item.items() if name in names}


#: an ISO 8601 time as the dal stores it (`2026-12-07T06:50:01.737857+00:00` or `...Z`)
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def size_by_group(item: dict[str, Any]) -> dict[str, int]:
    """Where an item's bytes go (attribute name + value, as DynamoDB counts them), by what they hold:
    the table's and the indexes' keys, ids copied beside them, times, the status history, the destination
    copied into a send, an invoice's lines and search text, and the rest; largest first."""
    groups: Counter[str] = Counter()
    for name, value in item.items():
        size = len(name.encode()) + attribute_size(value)
        if name in ("PK", "SK") or name.startswith("GSI"):
            group = "keys"
        elif name in ("history", "destination", "items", "search_text"):
            group = name
        elif name == "id" or name.endswith(("_id", "_ids")):
            group = "ids"
        elif ISO_TIME.match(str(value.get("S", ""))):
            group = "times"
        else:
            group = "other"
        groups[group] += size
    return dict(groups.most_common())


def index_writes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, tuple[str, float]]:
    """What a table write does in each GSI, from the item before and after it (DynamoDB's rules,
    GSI.html#GSI.Writes), by index: "put" where the item enters an index or a projected attribute changes;
    "deleted" where it leaves one; "moved" (a delete and a put) where an index key changes; "left" where
    the entry stays the same (free). Each delete and put as many units as the entry has KB (1 at least).
    Index writes are not doubled by a transaction."""
    found: dict[str, tuple[str, float]] = {}
    for prefix in projections():
        before = index_entry(old, prefix) if old else None
        after = index_entry(new, prefix) if new else None
        if before is None and after is None:
            continue
        if before == after:
            found[prefix] = ("left", 0.0)
            continue
        key = (f"{prefix}PK", f"{prefix}SK")
        moved = before is not None and after is not None and any(before[k] != after[k] for k in key)
        units = 0.0
        if before is not None and (after is None or moved):
            units += max(1, math.ceil(item_size(before) / 1024))
        if after is not None:
            units += max(1, math.ceil(item_size(after) / 1024))
        what = "moved" if moved else "deleted" if after is None else "put"
        found[prefix] = (what, units)
    return found


def index_units(old: dict[str, Any] | None, new: dict[str, Any] | None) -> float:
    """Write units a table write costs in the GSIs (`index_writes`, summed)."""
    return sum(units for _, units in index_writes(old, new).values())


@dataclass(frozen=True)
class Write:
    """One item written, as DynamoDB charges it: the item's size, the table's units (doubled in a
    transaction) and what each index did."""

    operation: str
    item: str  # the item's sort key (its kind: INVOICE, DELIVERY, ...), or the key written by name
    size: int | None  # bytes as DynamoDB counts them (None: an UpdateItem or DeleteItem, not seen)
    groups: dict[str, int] | None  # where the bytes go (`size_by_group`)
    table: float
    indexes: dict[str, tuple[str, float]]

    @property
    def units(self) -> float:
        return self.table + sum(units for _, units in self.indexes.values())

    def shape(self) -> tuple[Any, ...]:
        """What the write is, whatever the item's exact bytes."""
        return (self.operation, self.item, self.table, tuple(sorted(self.indexes.items())))


def breakdown(writes: list[Write], per: int = 1) -> list[str]:
    """The writes, one line per kind of write (the same operation, item, table and index units) with the
    items' sizes, in the order first seen; counts divided by `per` (the sends of a batch)."""
    kinds: dict[tuple[Any, ...], list[Write]] = {}
    for write in writes:
        kinds.setdefault(write.shape(), []).append(write)
    lines = []
    for same in kinds.values():
        first, sizes = same[0], [w.size for w in same if w.size is not None]
        size = f"{min(sizes):,}-{max(sizes):,} B" if sizes else "~100 B (not seen)"
        if sizes and min(sizes) == max(sizes):
            size = f"{sizes[0]:,} B"
        done = ", ".join(f"{name} {what} {units:g}" for name, (what, units) in first.indexes.items())
        count = len(same) / per
        lines.append(
            f"  {f'{count:g} x ' if count != 1 else ''}{first.operation} {first.item}: {size}, "
            f"table {first.table:g}{'; ' + done if done else ''} = {first.units:g} WRU"
        )
        last = same[-1]
        if last.size is not None and last.size > 1024 and last.groups:
            held = ", ".join(f"{group} {size:,}" for group, size in last.groups.items())
            lines.append(f"      over 1 KB by {last.size - 1024:,} B; its bytes: {held}")
    return lines


def patient_read(context: dict[str, Any], **_: Any) -> None:
    """Lets a DynamoDB call wait up to 2 minutes for moto (botocore's per-request read timeout): the
    layer's client gives up after 5 s, which one 1 MB page of a busy moto on a shared machine can take.
    Nothing else changes: DynamoDB itself answers such a page in tens of milliseconds."""
    context["read_timeout"] = 120


class CallLog:
    """Every AWS call the functions make through the layer's clients, by service and operation; and the
    DynamoDB capacity units they would consume on AWS, estimated from item sizes (DynamoDB's sizing and
    pricing rules: 1 WRU per KB written, twice in a transaction, plus each GSI written; 1 RRU per 4 KB
    read strongly consistent, half that eventually consistent). The index writes follow the template's
    projections and what the item was before the write (the last item this log saw under its key). An
    UpdateItem or DeleteItem, whose item the hook does not see, counts as one small item with no index
    write (the sequence's update, the only one on the paths part 5 prices, is in no index)."""

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.total: Counter[str] = Counter()
        self.scanned = 0
        self.count = 0
        self.queries = 0
        self.wru = 0.0
        self.index_wru = 0.0
        self.rru = 0.0
        #: the last item written under each key, so a write's index units know what the item was
        self.written: dict[tuple[str, str], dict[str, Any]] = {}
        #: every write since the last reset, as DynamoDB charges it (part 5 prints them)
        self.breakdown: list[Write] = []

    def attach(self) -> None:
        for client in (dynamodb_client(), sqs_client(), cognito_client()):
            client.meta.events.register("before-call.*.*", self.before_call)
        events = dynamodb_client().meta.events
        events.register("before-parameter-build.dynamodb.*", self.writes)
        events.register("before-call.dynamodb.*", patient_read)
        events.register("after-call.dynamodb.*", self.reads)

    def before_call(self, model: Any, **_: Any) -> None:
        name = f"{model.service_model.service_name}:{model.name}"
        self.ops.append(name)
        self.total[name] += 1

    def writes(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name

        def written(item: dict[str, Any] | None, transactional: bool, what: str = "") -> None:
            size = item_size(item) if item else 100
            table = capacity_units(size, write=True, transactional=transactional)
            self.wru += table
            if item is None:
                self.breakdown.append(Write(name, what, None, None, table, {}))
                return
            key = (str(item["PK"].get("S")), str(item["SK"].get("S"))) if "SK" in item else None
            old = self.written.get(key) if key else None
            indexes = index_writes(old, item)
            units = sum(u for _, u in indexes.values())
            self.wru += units
            self.index_wru += units
            if key:
                self.written[key] = item
            self.breakdown.append(Write(name, named(item), size, size_by_group(item), table, indexes))

        def named(key: dict[str, Any] | None) -> str:
            """The kind of item under this key: what its partition key names after the tenant and ids
            (INV, SEQ, DLV, ...) and its sort key, e.g. `INV/INVOICE`; the idempotency table's `IDEMPOTENCY`.
            """
            key = key or {}
            if "PK" not in key:
                return "IDEMPOTENCY" if "id" in key else "?"
            partition = re.sub(r"T#[0-9a-f-]{36}#?|#?[0-9a-f-]{36}", "", str(key["PK"].get("S", "")))
            return f"{partition or 'TENANT'}/{key.get('SK', {}).get('S', '')}"

        if name == "PutItem":
            written(params.get("Item"), False)
        elif name in ("UpdateItem", "DeleteItem"):
            written(None, False, named(params.get("Key")))
        elif name == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                put = entry.get("Put")
                other = next(iter(entry.values()), {})
                written(put["Item"] if put else None, True, named(other.get("Key")))
        elif name == "BatchWriteItem":
            for requests in params.get("RequestItems", {}).values():
                for request in requests:
                    written(request.get("PutRequest", {}).get("Item"), False)

    def reads(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name == "GetItem":
            self.rru += capacity_units(item_size(parsed.get("Item") or {}), write=False)
        elif name == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                self.rru += sum(capacity_units(item_size(item), write=False) for item in items) or 0.5
        elif name == "TransactGetItems":
            for entry in parsed.get("Responses", []):
                self.rru += capacity_units(
                    item_size(entry.get("Item") or {}), write=False, transactional=True
                )
        elif name == "Query":
            self.scanned += int(parsed.get("ScannedCount", 0))
            self.count += int(parsed.get("Count", 0))
            self.queries += 1
            size = sum(item_size(item) for item in parsed.get("Items", []))
            self.rru += capacity_units(size, write=False, consistent=False)

    def reset(self) -> None:
        self.ops.clear()
        self.breakdown = []
        self.scanned = self.count = self.queries = 0
        self.wru = self.rru = self.index_wru = 0.0

    def summary(self) -> str:
        short = [op.split(":", 1)[1] if op.startswith("dynamodb:") else op for op in self.ops]
        counted = Counter(short)
        return ", ".join(f"{op} x{n}" if n > 1 else op for op, n in counted.items())


def call(
    http: httpx.Client, log: CallLog, method: str, path: str, expect: int | None = None, **kwargs: Any
) -> httpx.Response:
    log.reset()
    response = http.request(method, path, **kwargs)
    if response.status_code >= 400 if expect is None else response.status_code != expect:
        raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:300]}")
    return response


def body(patient: str, appointment: str, status: str = "DRAFT", tag: str = "") -> dict[str, Any]:
    """An invoice of one item; with `tag`, tagged so and described as a follow-up (for the filters)."""
    items = [{"description": "Follow-up" if tag else "Consultation", "unit_price": 120}]
    made = {"patient_id": patient, "appointment_id": appointment, "status": status, "items": items}
    return {**made, "tags": [tag]} if tag else made


def operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation the committed OpenAPI document describes."""
    paths = json.loads(OPENAPI.read_text())["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() for method in item)


def seed_listed(tenant_ids: list[UUID], per_status: int = LISTED) -> None:
    """`per_status` FAILED, CANCELLED and SENT (today) deliveries per tenant, straight through the dal."""
    repo = delivery_repository(get_settings())
    now = datetime.now(UTC)
    made: list[Delivery] = []
    for tenant_id in tenant_ids:
        for status in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED, DeliveryStatus.SENT):
            made += [delivery(tenant_id, status, now) for _ in range(per_status)]
    repo.create(made)


def delivery(tenant_id: UUID, status: DeliveryStatus, now: datetime, dlq_days: int = 0) -> Delivery:
    """One patient send in `status`, as the Sender would have left it."""
    failed = status is DeliveryStatus.FAILED
    return Delivery(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        invoice_ids=(uuid.uuid4(),),
        submission_id=uuid.uuid4(),
        destination=Destination(
            name="patient-email",
            kind="patient_channel",
            method=Method.EMAIL,
            endpoint_url="http://127.0.0.1:9",
        ),
        method=Method.EMAIL,
        patient_id=uuid.uuid4(),
        amount_cents=12000,
        status=status,
        attempts=5 if failed else 1,
        sent_at=now if status is DeliveryStatus.SENT else None,
        failed_reason="503 from the external system" if failed else None,
        failure_kind="transient" if failed else None,
        redrive_rounds=3 if failed else 0,  # past the schedule's automatic rounds: only retry-all takes it
        dlq_until=now + timedelta(days=dlq_days) if failed and dlq_days else None,
        history=(HistoryEntry(status=status.lower(), at=now),),
        created_at=now - timedelta(minutes=5),
        updated_at=now,
    )


Row = tuple[str, str, str, int, str]  # (operation, label, operations, calls, target)


def calls_per_request(http: httpx.Client, log: CallLog, tokens: dict[str, str]) -> dict[str, Any]:
    """Each request's AWS calls, for every operation; then ScannedCount / Count of every list."""
    rows: list[Row] = []
    ratios: list[tuple[str, int, int, int, int]] = []
    user = {"Authorization": f"Bearer {tokens['user']}"}
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    tenant = demo_tenant_id("demo-practice")
    seed_listed([tenant, demo_tenant_id("other-practice")])
    print("\n== 2. AWS calls per request (the layer's DynamoDB, SQS and Cognito clients; before-call hook)")
    print(f"{'request':<58}{'calls':>6}{'target':>8}  {'verdict':<8} operations")

    def row(
        operation: str, label: str, target: int | None, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        response = call(http, log, method, path, **kwargs)
        calls = len(log.ops)
        verdict = "-" if target is None else "PASS" if calls <= target else "over"
        shown = "-" if target is None else f"<= {target}"
        print(f"{label:<58}{calls:>6}{shown:>8}  {verdict:<8} {log.summary()}")
        rows.append((operation, label, log.summary(), calls, shown))
        return response

    def listed(label: str, response: httpx.Response, items: Callable[[Any], int]) -> None:
        ratios.append((label, log.scanned, log.count, log.queries, items(response.json())))

    # -- auth ---------------------------------------------------------------------------------------
    row(
        "POST /auth/token",
        "POST /auth/token (Cognito password grant)",
        1,
        "POST",
        "/auth/token",
        data=DEMO_USER,
    )

    # -- Invoice API (seed 003) ---------------------------------------------------------------------
    patient, appointment = str(uuid.uuid4()), str(uuid.uuid4())
    post, inv, one_id = "POST /invoice/", "/invoice/{id}", "/invoice/"
    one = row(
        post,
        "POST /invoice/ (no Idempotency-Key)",
        3,
        "POST",
        one_id,
        json=body(patient, appointment),
        headers=user,
    )
    invoice_id = one.json()["id"]
    keyed = {"json": body(patient, appointment), "headers": {**user, "Idempotency-Key": str(uuid.uuid4())}}
    draft = row(post, "POST /invoice/ (Idempotency-Key, first time)", 3, "POST", one_id, **keyed).json()
    again = row(post, "POST /invoice/ (same key and body, replayed)", 3, "POST", one_id, **keyed)
    if again.headers.get("Idempotent-Replayed") != "true" or again.json()["id"] != draft["id"]:
        raise RuntimeError("the repeated Idempotency-Key was not replayed")
    row(f"GET {inv}", "GET /invoice/{id}", 1, "GET", f"/invoice/{invoice_id}", headers=user)
    edit = {"json": body(patient, appointment), "headers": user}
    row(f"PUT {inv}", "PUT /invoice/{id} (a DRAFT edited)", 2, "PUT", f"/invoice/{invoice_id}", **edit)
    # Issuing also reads the tenant's destinations (cached a minute per container; the first issue of
    # a container pays it), writes the deliveries in the same transaction, then enqueues them (SQS).
    issue = {"json": body(patient, appointment, "ISSUED"), "headers": user}
    row(
        f"PUT {inv}",
        "PUT /invoice/{id} (DRAFT -> ISSUED, tenant not cached)",
        4,
        "PUT",
        f"/invoice/{invoice_id}",
        **issue,
    )
    row(
        f"DELETE {inv}",
        "DELETE /invoice/{id} (a DRAFT)",
        1,
        "DELETE",
        f"/invoice/{draft['id']}",
        headers=user,
    )

    patients = [str(uuid.uuid4()) for _ in range(3)]
    appointments = [str(uuid.uuid4()) for _ in range(2)]
    for n in range(60):  # 60 more: 3 patients, 2 appointments, half ISSUED, 1 in 6 a tagged follow-up
        status = "ISSUED" if n % 4 < 2 else "DRAFT"
        made = body(patients[n % 3], appointments[n % 2], status, "vip" if n % 6 == 5 else "")
        call(http, log, "POST", "/invoice/", json=made, headers=user)
    filters = {
        "(no filter, default limit 100)": {},
        "?limit=10 (total needs a count)": {"limit": 10},
        "?order_by=-total_amount": {"order_by": "-total_amount"},
        "?status=ISSUED": {"status": "ISSUED"},
        "?patient_id=<p1>": {"patient_id": patients[0]},
        "?appointment_id=<a1>": {"appointment_id": appointments[0]},
        "?status=ISSUED&patient_id=<p1>": {"status": "ISSUED", "patient_id": patients[0]},
        "?tags=vip": {"tags": "vip"},
        "?search=Follow-up": {"search": "Follow-up"},
    }
    for label, params in filters.items():
        page = row(
            "GET /invoice/", f"GET /invoice/{label}", 2, "GET", "/invoice/", params=params, headers=user
        )
        ratios.append((f"invoices {label}", log.scanned, log.count, log.queries, len(page.json()["data"])))

    # -- Decoda (seed 004) --------------------------------------------------------------------------
    create = {
        "patientId": "pat_bench",
        "message": "bench",
        "invoiceMethod": "EMAIL",
        "charges": [{"description": "Visit", "totalOutstanding": 100}],
    }
    made = row(
        "POST /billing/invoice/create",
        "POST /billing/invoice/create",
        4,
        "POST",
        "/billing/invoice/create",
        json=create,
        headers=DECODA,
    ).json()
    sent_id = made["id"]
    get = "GET /billing/invoice/{id}"
    row(get, get, 1, "GET", f"/billing/invoice/{sent_id}", headers=DECODA)
    now_path = "PUT /billing/invoice/{id}/send-now"
    row(
        now_path,
        now_path + " (a PENDING send)",
        3,
        "PUT",
        f"/billing/invoice/{sent_id}/send-now",
        headers=DECODA,
    )
    retry = {"invoiceId": sent_id, "invoiceMethod": "SMS"}
    row(
        "PUT /billing/invoice/retry-method",
        "PUT /billing/invoice/retry-method (-> SMS)",
        3,
        "PUT",
        "/billing/invoice/retry-method",
        json=retry,
        headers=DECODA,
    )
    action = "PUT /billing/invoice/execute-action"
    for verb in ("pause", "resume"):
        payload = {"invoiceSetIds": [sent_id], "actionType": verb}
        row(
            action,
            f"{action} ({verb}, one send)",
            3,
            "PUT",
            "/billing/invoice/execute-action",
            json=payload,
            headers=DECODA,
        )

    # -- Healthbridge (seeds 000 and 001) -----------------------------------------------------------
    for status, path in (
        ("failed", "failed"),
        ("aborted", "aborted"),
        ("sent", f"sent/sentDate/{time.strftime('%Y-%m-%d', time.gmtime())}"),
    ):
        operation = (
            f"GET /api/v1/billing/invoices/{'sent/sentDate/{sentDate}' if status == 'sent' else status}"
        )
        response = row(
            operation,
            f"GET /api/v1/billing/invoices/{path}",
            1,
            "GET",
            f"/api/v1/billing/invoices/{path}",
            headers=admin,
        )
        listed(f"Healthbridge {status} ({LISTED} per tenant)", response, len)
    cancel = "POST /api/v1/{practiceid}/billing/invoices/{invoiceId}/cancel"
    row(
        cancel,
        "POST /api/v1/{practiceid}/.../{invoiceId}/cancel (1 PENDING send)",
        2,  # the invoice's deliveries (one Query), one write per send cancelled
        "POST",
        f"/api/v1/{tenant}/billing/invoices/{invoice_id}/cancel",
        headers=admin,
    )
    retry_all = "POST /api/v1/billing/invoices/retryallfailed"
    row(
        retry_all,
        f"POST .../retryallfailed ({LISTED} failed, none in the DLQ)",
        # a Query page, a write per delivery, the move task (list, start), their enqueue 10 a call
        1 + LISTED + 2 + -(-LISTED // 10),
        "POST",
        "/api/v1/billing/invoices/retryallfailed",
        headers=admin,
    )

    # -- eBillingHub --------------------------------------------------------------------------------
    external = uuid.uuid4().hex[:20]
    lines = [{"Description": "Visit", "UnitPrice": 80}]
    payors = [
        {"PayorOrgId": "111", "PayorOrgEBillingId": "222"},
        {"PayorOrgId": "333", "PayorOrgEBillingId": "444"},
    ]
    submit = {"InvoiceId": external, "Lines": lines, "Payors": payors}
    submitted = row(
        "POST /ebh/submissions/{version}",
        "POST /ebh/submissions/v1 (2 payers)",
        5,  # the key (GetItem), sequence and idempotency record, a resubmission's Query, write, enqueue
        "POST",
        "/ebh/submissions/v1",
        json=submit,
        headers=EBH,
    ).json()
    history = "GET /ebh/statuses/{version}/history"
    for label, query in (("SubmissionId", submitted["SubmissionId"]), ("InvoiceId", external)):
        response = row(
            history,
            f"GET /ebh/statuses/v1/history?{label}=",
            2,
            "GET",
            "/ebh/statuses/v1/history",
            params={label: query},
            headers=EBH,
        )
        listed(f"eBillingHub history by {label}", response, lambda page: len(page["InvoiceStatuses"]))
    deprecated = "GET /statuses/api/{version}/history"
    row(
        deprecated,
        "GET /statuses/api/v1/history?InvoiceId= (deprecated)",
        2,
        "GET",
        "/statuses/api/v1/history",
        params={"InvoiceId": external},
        headers=EBH,
    )

    print("\nScannedCount / Count of every list (after-call hook on Query; expected 1.00)")
    print(f"{'list':<52}{'Scanned':>9}{'Count':>7}{'Queries':>9}{'ratio':>7}{'returned':>10}")
    for label, scanned, count, queries, returned in ratios:
        ratio = f"{scanned / count:.2f}" if count else "n/a"
        print(f"{label:<52}{scanned:>9}{count:>7}{queries:>9}{ratio:>7}{returned:>10}")
    covered = {operation for operation, *_ in rows}
    missing = [f"{method} {path}" for method, path in operations() if f"{method} {path}" not in covered]
    print(
        f"\nOperations of openapi.json measured: {len(operations()) - len(missing)}/{len(operations())}; "
        f"not covered: {', '.join(missing) or 'none'}"
    )
    return {
        "rows": rows,
        "ratios": ratios,
        "missing": missing,
        "invoice_id": invoice_id,
        "operations": len(operations()),
    }
