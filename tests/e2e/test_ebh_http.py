"""eBillingHub over HTTP (seed 002): submissions, then status histories by SubmissionId or InvoiceId, with
ProducerId + ProviderKey, an OperationId on every answer, `{"Message": ...}` errors, and the old URLs
still answering (deprecated) next to the new ones."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from invoice_hub.dal.credentials import CredentialRepository
from invoice_hub.domain.errors import ServiceBusy
from invoice_hub.logic.payer_submissions import Submissions
from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, sends_queued
from tests.polling import wait_for

pytestmark = pytest.mark.e2e
VERSIONS = ("v1", "v2")
ENTRY_FIELDS = ["SubmissionId", "InvoiceId", "PayorOrgId", "PayorOrgEBillingId", "StatusHistory"]
STATUS_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
UNEXPECTED = "An unexpected error occurred. Please, contact the support team."
DEMO = {"ProducerId": "demo-producer", "ProviderKey": "demo-provider-key"}
OTHER_DEMO = {"ProducerId": "other-producer", "ProviderKey": "other-provider-key"}
PAYORS = [
    {"PayorOrgId": "111", "PayorOrgEBillingId": "222"},
    {"PayorOrgId": "222", "PayorOrgEBillingId": "444"},
]
OUTAGE_DEADLINE = 120.0  # 5 receives with a 1 s doubling back-off, ~17 s locally


def submit_url(version: str = "v1") -> str:
    return f"/ebh/submissions/{version}"


def history_url(version: str = "v1", old: bool = False) -> str:
    return f"/statuses/api/{version}/history" if old else f"/ebh/statuses/{version}/history"


@pytest.fixture(scope="module")
def ebh(stack: LocalStack) -> Iterator[httpx.Client]:
    """A client for the EBH routes only: every answer, errors included, must carry an OperationId that is
    a UUID and that no other answer in this module has carried."""
    seen: set[str] = set()

    def operation_id(response: httpx.Response) -> None:
        where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        value = response.headers.get("OperationId")
        assert value, f"{where}: no OperationId header"
        uuid.UUID(value)  # raises ValueError if it is not a UUID
        assert value not in seen, f"{where}: OperationId {value} was already used"
        seen.add(value)

    with httpx.Client(base_url=stack.url, timeout=30, event_hooks={"response": [operation_id]}) as client:
        yield client


@pytest.fixture
def admin(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice(admin=True)


def new_invoice_id() -> str:
    return f"INV-{uuid.uuid4().hex[:12]}"


def line(quantity: float = 1, price: float = 1) -> dict[str, Any]:
    return {"Description": "Visit", "Code": "0190", "Quantity": quantity, "UnitPrice": price}


def submission(
    invoice_id: str | None = None, payors: list[dict[str, str]] | None = None, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "InvoiceId": invoice_id or new_invoice_id(),
        "InvoiceDate": "2026-11-21",
        "Lines": [{"Description": "Consultation", "Code": "0190", "Quantity": 1, "UnitPrice": 120.0}],
        "Payors": [dict(payor) for payor in (PAYORS if payors is None else payors)],
    }
    body.update(overrides)
    return body


def submit(
    ebh: httpx.Client,
    headers: dict[str, str],
    body: dict[str, Any],
    version: str = "v1",
    key: str | None = None,
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return ebh.post(submit_url(version), json=body, headers={**headers, **extra})


def created(response: httpx.Response) -> str:
    """The SubmissionId of a 201, after checking the answer's shape."""
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["SubmissionId"], body
    submission_id = str(body["SubmissionId"])
    assert str(uuid.UUID(submission_id)) == submission_id.lower()
    return submission_id


def history(
    ebh: httpx.Client,
    headers: dict[str, str],
    params: dict[str, str] | None = None,
    *,
    version: str = "v1",
    old: bool = False,
    accept: str | None = None,
) -> httpx.Response:
    extra = {"Accept": accept} if accept is not None else {}
    return ebh.get(history_url(version, old), params=params or {}, headers={**headers, **extra})


def check_entries(entries: list[dict[str, Any]]) -> None:
    """The contract's shape: keys in order, StatusDate like 2018-07-07T23:32:57 (UTC), oldest first."""
    now = datetime.now(UTC).replace(tzinfo=None)
    for entry in entries:
        assert list(entry) == ENTRY_FIELDS, entry
        assert entry["StatusHistory"], entry
        dates: list[datetime] = []
        for step in entry["StatusHistory"]:
            assert list(step) == ["Status", "StatusDate"], step
            assert STATUS_DATE.fullmatch(step["StatusDate"]), step
            dates.append(datetime.strptime(step["StatusDate"], "%Y-%m-%dT%H:%M:%S"))
        assert dates == sorted(dates), f"StatusHistory is not oldest first: {entry['StatusHistory']}"
        assert all(abs(now - date) < timedelta(minutes=15) for date in dates), (now, entry["StatusHistory"])
        # the first step: received, or new (held for attachments to come, or a proforma)
        assert entry["StatusHistory"][0]["Status"] in ("received", "new"), entry


def statuses(ebh: httpx.Client, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = history(ebh, headers, params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["InvoiceStatuses"], body
    entries: list[dict[str, Any]] = body["InvoiceStatuses"]
    check_entries(entries)
    return entries


def trail(entry: dict[str, Any]) -> list[str]:
    return [step["Status"] for step in entry["StatusHistory"]]


def settled(
    ebh: httpx.Client,
    headers: dict[str, str],
    final: str,
    count: int,
    timeout: float = 60.0,
    **params: str,
) -> list[dict[str, Any]]:
    """Polls the history until it has `count` entries, each ending with `final`."""

    last: list[list[str]] = []

    def check() -> list[dict[str, Any]] | None:
        entries = statuses(ebh, headers, **params)
        last[:] = [trail(entry) for entry in entries]
        if len(entries) == count and all(trail(entry)[-1] == final for entry in entries):
            return entries
        return None

    what = f"{count} entries ending {final!r} for {params}"
    try:
        found: list[dict[str, Any]] = wait_for(check, what, timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}; last seen: {last}") from None
    return found


def assert_error(response: httpx.Response, status: int) -> str:
    """An EBH error: the status, and a body that is exactly {"Message": "..."}; returns the message."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    body = response.json()
    assert list(body) == ["Message"], body
    assert isinstance(body["Message"], str)
    assert body["Message"]
    if status != 500:
        assert body["Message"] != UNEXPECTED, body
    return str(body["Message"])


def hub_sends(stack: LocalStack, practice: Practice, payor_org_id: str | None = None) -> list[dict[str, Any]]:
    """What the practice's payer hub (the fake external systems) has received, oldest first."""
    return [
        send
        for send in stack.external.received()["received"]
        if send["path"] == f"/payer-hub/{practice.tenant.slug}"
        and isinstance(send["body"], dict)
        and (payor_org_id is None or send["body"].get("payor_org_id") == payor_org_id)
    ]


def delivered(stack: LocalStack, practice: Practice, payor_org_id: str | None = None) -> list[dict[str, Any]]:
    return [s for s in hub_sends(stack, practice, payor_org_id) if s["delivered"] and not s["duplicate"]]


# -- submissions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_a_submission_to_two_payers_is_two_entries_and_two_sends(
    stack: LocalStack, ebh: httpx.Client, practice: Practice, version: str
) -> None:
    body = submission(PatientId=str(uuid.uuid4()), EncounterId=str(uuid.uuid4()))
    response = submit(ebh, {**practice.ebh_headers, "Username": "front-desk"}, body, version)
    submission_id = created(response)
    if version == "v1":
        assert response.headers["Location"] == f"/ebh/statuses/v1/history?SubmissionId={submission_id}"
    location = ebh.get(response.headers["Location"], headers=practice.ebh_headers)
    assert location.status_code == 200, location.text
    assert {e["SubmissionId"] for e in location.json()["InvoiceStatuses"]} == {submission_id}

    first = statuses(ebh, practice.ebh_headers, SubmissionId=submission_id)
    assert sorted((e["PayorOrgId"], e["PayorOrgEBillingId"]) for e in first) == [
        ("111", "222"),
        ("222", "444"),
    ]

    entries = settled(ebh, practice.ebh_headers, "ebilled", 2, SubmissionId=submission_id)
    assert {e["SubmissionId"] for e in entries} == {submission_id}
    assert {e["InvoiceId"] for e in entries} == {body["InvoiceId"]}
    for entry in entries:
        assert trail(entry) == ["received", "forwarded", "ebilled"]

    def both_sent() -> list[dict[str, Any]] | None:
        sends = delivered(stack, practice)
        return sends if len(sends) >= 2 else None

    sends = wait_for(both_sent, what="a send to each payer")
    assert len(sends) == 2
    assert sorted((s["body"]["payor_org_id"], s["body"]["payor_org_ebilling_id"]) for s in sends) == [
        ("111", "222"),
        ("222", "444"),
    ]
    assert len({s["body"]["delivery_id"] for s in sends}) == 2
    for send in sends:
        assert send["idempotency_key"] == send["body"]["delivery_id"]


def test_history_by_invoice_id_and_by_both(ebh: httpx.Client, practice: Practice) -> None:
    invoice_id = new_invoice_id()
    one = created(submit(ebh, practice.ebh_headers, submission(invoice_id, PAYORS[:1])))
    two = created(submit(ebh, practice.ebh_headers, submission(invoice_id, PAYORS[1:])))
    other = created(submit(ebh, practice.ebh_headers, submission()))

    entries = settled(ebh, practice.ebh_headers, "ebilled", 2, InvoiceId=invoice_id)
    assert {(e["SubmissionId"], e["PayorOrgId"]) for e in entries} == {(one, "111"), (two, "222")}
    both = statuses(ebh, practice.ebh_headers, SubmissionId=two, InvoiceId=invoice_id)
    assert [(e["SubmissionId"], e["PayorOrgId"]) for e in both] == [(two, "222")]
    assert statuses(ebh, practice.ebh_headers, SubmissionId=other, InvoiceId=invoice_id) == []


def test_unknown_ids_are_an_empty_list(ebh: httpx.Client, practice: Practice) -> None:
    for params in (
        {"SubmissionId": str(uuid.uuid4())},
        {"InvoiceId": new_invoice_id()},
        {"SubmissionId": str(uuid.uuid4()), "InvoiceId": new_invoice_id()},
    ):
        response = history(ebh, practice.ebh_headers, params)
        assert response.status_code == 200, response.text
        assert response.json() == {"InvoiceStatuses": []}


def test_boundaries_are_accepted(ebh: httpx.Client, practice: Practice) -> None:
    lines = [line(price=0) for _ in range(200)]
    payors = [{"PayorOrgId": f"{n:064d}", "PayorOrgEBillingId": "e" * 64} for n in range(20)]
    body = submission("9" * 64, payors, Lines=lines)
    submission_id = created(submit(ebh, practice.ebh_headers, body))
    entries = settled(ebh, practice.ebh_headers, "ebilled", 20, SubmissionId=submission_id)
    assert {e["PayorOrgId"] for e in entries} == {p["PayorOrgId"] for p in payors}
    assert {e["InvoiceId"] for e in entries} == {"9" * 64}
    created(submit(ebh, practice.ebh_headers, submission("x")))  # the shortest InvoiceId


def test_an_idempotency_key_replays_the_first_answer(
    stack: LocalStack, ebh: httpx.Client, practice: Practice
) -> None:
    key = str(uuid.uuid4())
    body = submission(payors=PAYORS[:1])
    first = submit(ebh, practice.ebh_headers, body, key=key)
    submission_id = created(first)
    assert first.headers.get("Idempotent-Replayed") != "true"
    again = submit(ebh, practice.ebh_headers, body, key=key)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["OperationId"] != first.headers["OperationId"]
    assert_error(submit(ebh, practice.ebh_headers, submission(payors=PAYORS[:1]), key=key), 400)

    entries = settled(ebh, practice.ebh_headers, "ebilled", 1, InvoiceId=body["InvoiceId"])
    assert entries[0]["SubmissionId"] == submission_id
    wait_for(lambda: not sends_queued(stack, practice.tenant.id), what="a second submission's send, if any")
    assert len(delivered(stack, practice, "111")) == 1


def test_a_resubmission_is_409_unless_the_payer_rejected_it(
    stack: LocalStack, ebh: httpx.Client, practice: Practice, outage: Callable[[str], None]
) -> None:
    invoice_id = new_invoice_id()
    outage("reject")
    rejected = created(submit(ebh, practice.ebh_headers, submission(invoice_id, PAYORS[:1])))
    entries = settled(ebh, practice.ebh_headers, "rejected", 1, SubmissionId=rejected)
    assert trail(entries[0]) == ["received", "forwarded", "rejected"]

    outage("ok")
    accepted = created(submit(ebh, practice.ebh_headers, submission(invoice_id, PAYORS[:1])))
    assert accepted != rejected
    assert_error(submit(ebh, practice.ebh_headers, submission(invoice_id, PAYORS[:1])), 409)  # in flight
    settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=accepted)
    conflict = submit(ebh, practice.ebh_headers, submission(invoice_id, PAYORS[:1]), key=str(uuid.uuid4()))
    assert_error(conflict, 409)
    assert_error(submit(ebh, practice.ebh_headers, submission(invoice_id, PAYORS[:1]), version="v2"), 409)

    # both submissions stay visible; what becomes of the superseded one after "rejected" is not specified
    entries = {e["SubmissionId"]: trail(e) for e in statuses(ebh, practice.ebh_headers, InvoiceId=invoice_id)}
    assert set(entries) == {rejected, accepted}
    assert entries[rejected][:3] == ["received", "forwarded", "rejected"]
    assert entries[accepted] == ["received", "forwarded", "ebilled"]
    # the same invoice to a payer it was never sent to is a first submission, not a resubmission
    created(submit(ebh, practice.ebh_headers, submission(invoice_id, PAYORS[1:])))
    wait_for(lambda: not sends_queued(stack, practice.tenant.id), what="the new payer's send to be handled")
    assert len(delivered(stack, practice, "111")) == 1


@pytest.mark.usefixtures("own_redrive")
def test_history_after_an_outage_and_retry_all_shows_every_attempt(
    stack: LocalStack,
    ebh: httpx.Client,
    http: httpx.Client,
    admin: Practice,
    outage: Callable[[str], None],
) -> None:
    outage("fail")
    invoice_id = new_invoice_id()
    submission_id = created(submit(ebh, admin.ebh_headers, submission(invoice_id, PAYORS[:1])))
    held = settled(ebh, admin.ebh_headers, "hold", 1, timeout=OUTAGE_DEADLINE, SubmissionId=submission_id)
    assert trail(held[0]) == ["received"] + ["forwarded"] * 5 + ["hold"]
    # hold is not one of the statuses that may be resubmitted
    assert_error(submit(ebh, admin.ebh_headers, submission(invoice_id, PAYORS[:1])), 409)

    outage("ok")
    retried = http.post("/api/v1/billing/invoices/retryallfailed", headers=admin.headers)
    assert retried.status_code == 200, retried.text
    entries = settled(ebh, admin.ebh_headers, "ebilled", 1, SubmissionId=submission_id)
    assert trail(entries[0]) == ["received"] + ["forwarded"] * 5 + ["hold", "forwarded", "ebilled"]
    assert entries[0]["InvoiceId"] == invoice_id

    sends = hub_sends(stack, admin, "111")
    assert [s["status"] for s in sends] == [503] * 5 + [201]
    assert len({s["idempotency_key"] for s in sends}) == 1


# -- headers, media types, parameters -----------------------------------------------------------------


@pytest.mark.parametrize("missing", ["ProducerId", "ProviderKey", "both"])
def test_a_missing_header_is_400(ebh: httpx.Client, practice: Practice, missing: str) -> None:
    headers = {k: v for k, v in practice.ebh_headers.items() if missing not in (k, "both")}
    assert_error(submit(ebh, headers, submission()), 400)
    assert_error(history(ebh, headers, {"InvoiceId": new_invoice_id()}), 400)
    assert_error(history(ebh, headers, accept="application/xml"), 400)  # headers come first


def test_unknown_or_mismatched_keys_are_401(
    ebh: httpx.Client, practice: Practice, other_practice: Practice
) -> None:
    for headers in (
        {"ProducerId": practice.producer_id, "ProviderKey": "no-such-key"},
        {"ProducerId": practice.producer_id, "ProviderKey": other_practice.provider_key},
        {"ProducerId": "no-such-producer", "ProviderKey": practice.provider_key},
        {"ProducerId": "demo-producer", "ProviderKey": "other-provider-key"},
        {"ProducerId": "other-producer", "ProviderKey": "demo-provider-key"},
    ):
        assert_error(submit(ebh, headers, submission()), 401)
        assert_error(history(ebh, headers, {"InvoiceId": new_invoice_id()}), 401)
        assert_error(history(ebh, headers, accept="text/html"), 401)  # before Accept and parameters


def test_the_demo_credentials_work(ebh: httpx.Client) -> None:
    for headers in (DEMO, OTHER_DEMO):
        response = history(ebh, headers, {"InvoiceId": new_invoice_id()})
        assert response.status_code == 200, response.text
        assert response.json() == {"InvoiceStatuses": []}
    submission_id = created(submit(ebh, DEMO, submission(payors=PAYORS[:1])))
    assert [e["SubmissionId"] for e in statuses(ebh, DEMO, SubmissionId=submission_id)] == [submission_id]
    assert statuses(ebh, OTHER_DEMO, SubmissionId=submission_id) == []


@pytest.mark.parametrize("accept", ["application/xml", "text/html"])
def test_other_media_types_are_406(ebh: httpx.Client, practice: Practice, accept: str) -> None:
    headers = {**practice.ebh_headers, "Accept": accept}
    assert_error(ebh.post(submit_url(), json=submission(), headers=headers), 406)
    assert_error(ebh.post(submit_url(), json={}, headers=headers), 406)  # before parameters
    assert_error(history(ebh, practice.ebh_headers, {"InvoiceId": new_invoice_id()}, accept=accept), 406)
    assert_error(history(ebh, practice.ebh_headers, accept=accept), 406)  # before parameters
    assert_error(history(ebh, practice.ebh_headers, {"SubmissionId": "nope"}, accept=accept), 406)


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_json_any_or_no_accept_is_served(ebh: httpx.Client, practice: Practice, accept: str | None) -> None:
    def send(request: httpx.Request) -> httpx.Response:
        if accept is None:
            del request.headers["Accept"]  # httpx sends */* unless told otherwise
        else:
            request.headers["Accept"] = accept
        return ebh.send(request)

    post = ebh.build_request("POST", submit_url(), json=submission(), headers=practice.ebh_headers)
    submission_id = created(send(post))
    params = {"SubmissionId": submission_id}
    response = send(ebh.build_request("GET", history_url(), params=params, headers=practice.ebh_headers))
    assert response.status_code == 200, response.text
    assert len(response.json()["InvoiceStatuses"]) == 2


def test_history_parameters_are_checked(ebh: httpx.Client, practice: Practice) -> None:
    for params in ({}, {"SubmissionId": "not-a-uuid"}, {"SubmissionId": "4326", "InvoiceId": "4326"}):
        for version in VERSIONS:
            assert_error(history(ebh, practice.ebh_headers, params, version=version), 400)


def _without(field: str) -> dict[str, Any]:
    body = submission()
    del body[field]
    return body


BAD_BODIES: list[tuple[str, Any]] = [
    ("no InvoiceId", _without("InvoiceId")),
    ("no Lines", _without("Lines")),
    ("no Payors", _without("Payors")),
    ("empty InvoiceId", submission(InvoiceId="")),
    ("InvoiceId of 65", submission("x" * 65)),
    ("no lines", submission(Lines=[])),
    ("201 lines", submission(Lines=[line()] * 201)),
    ("quantity 0", submission(Lines=[line(quantity=0)])),
    ("negative quantity", submission(Lines=[line(quantity=-1)])),
    ("negative price", submission(Lines=[line(price=-0.01)])),
    ("no payors", submission(payors=[])),
    ("21 payors", submission(payors=[{"PayorOrgId": str(n), "PayorOrgEBillingId": "e"} for n in range(21)])),
    ("duplicate payor", submission(payors=[PAYORS[0], {"PayorOrgId": "111", "PayorOrgEBillingId": "999"}])),
    ("empty PayorOrgId", submission(payors=[{"PayorOrgId": "", "PayorOrgEBillingId": "222"}])),
    ("empty EBilling id", submission(payors=[{"PayorOrgId": "111", "PayorOrgEBillingId": ""}])),
    ("PayorOrgId of 65", submission(payors=[{"PayorOrgId": "1" * 65, "PayorOrgEBillingId": "222"}])),
    ("no EBilling id", submission(payors=[{"PayorOrgId": "111"}])),
    ("a list", [submission()]),
]  # fmt: skip


@pytest.mark.parametrize("body", [body for _, body in BAD_BODIES], ids=[name for name, _ in BAD_BODIES])
def test_bad_submissions_are_400(stack: LocalStack, ebh: httpx.Client, practice: Practice, body: Any) -> None:
    for version in VERSIONS:
        assert_error(ebh.post(submit_url(version), json=body, headers=practice.ebh_headers), 400)
    assert not hub_sends(stack, practice)


def test_a_body_that_is_not_json_is_400(ebh: httpx.Client, practice: Practice) -> None:
    headers = {**practice.ebh_headers, "Content-Type": "application/json"}
    for content in (b"{not json", b"", b"\xff\xfe"):
        assert_error(ebh.post(submit_url(), content=content, headers=headers), 400)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/ebh/statuses/v3/history"),
        ("GET", "/ebh/statuses/v0/history"),
        ("GET", "/statuses/api/v9/history"),
        ("POST", "/ebh/submissions/v3"),
    ],
)
def test_an_unknown_version_is_400(ebh: httpx.Client, practice: Practice, method: str, url: str) -> None:
    kwargs: dict[str, Any] = {"json": submission()} if method == "POST" else {}
    response = ebh.request(
        method, url, params={"InvoiceId": new_invoice_id()}, headers=practice.ebh_headers, **kwargs
    )
    assert_error(response, 400)


# -- isolation, versions, deprecated URLs ------------------------------------------------------------


def test_another_producer_never_sees_a_submission(
    ebh: httpx.Client, practice: Practice, other_practice: Practice
) -> None:
    invoice_id = new_invoice_id()
    submission_id = created(submit(ebh, practice.ebh_headers, submission(invoice_id)))
    for version in VERSIONS:
        for old in (False, True):
            for params in (
                {"SubmissionId": submission_id},
                {"InvoiceId": invoice_id},
                {"SubmissionId": submission_id, "InvoiceId": invoice_id},
            ):
                response = history(ebh, other_practice.ebh_headers, params, version=version, old=old)
                assert response.status_code == 200, response.text
                assert response.json() == {"InvoiceStatuses": []}, (version, old, params)

    # the same invoice number at another producer is that producer's own, not a resubmission
    theirs = created(submit(ebh, other_practice.ebh_headers, submission(invoice_id)))
    mine = settled(ebh, practice.ebh_headers, "ebilled", 2, InvoiceId=invoice_id)
    assert {e["SubmissionId"] for e in mine} == {submission_id}
    assert {e["SubmissionId"] for e in statuses(ebh, other_practice.ebh_headers, InvoiceId=invoice_id)} == {
        theirs
    }


def test_old_and_new_urls_and_both_versions_answer_the_same(ebh: httpx.Client, practice: Practice) -> None:
    invoice_id = new_invoice_id()
    submission_id = created(submit(ebh, practice.ebh_headers, submission(invoice_id), version="v2"))
    settled(ebh, practice.ebh_headers, "ebilled", 2, SubmissionId=submission_id)
    good = practice.ebh_headers
    cases: list[tuple[str, dict[str, str], dict[str, str], str | None]] = [
        ("by SubmissionId", good, {"SubmissionId": submission_id}, None),
        ("by InvoiceId", good, {"InvoiceId": invoice_id}, None),
        ("by both", good, {"SubmissionId": submission_id, "InvoiceId": invoice_id}, None),
        ("with Username", {**good, "Username": "someone"}, {"InvoiceId": invoice_id}, "*/*"),
        ("unknown", good, {"SubmissionId": str(uuid.uuid4())}, "application/json"),
        ("no parameters", good, {}, None),
        ("bad SubmissionId", good, {"SubmissionId": "not-a-uuid"}, None),
        ("no ProviderKey", {"ProducerId": practice.producer_id}, {"InvoiceId": invoice_id}, None),
        ("unknown key", {**good, "ProviderKey": "nope"}, {"InvoiceId": invoice_id}, None),
        ("xml", good, {"InvoiceId": invoice_id}, "application/xml"),
    ]
    for name, headers, params, accept in cases:
        answers: dict[tuple[str, bool], httpx.Response] = {
            (version, old): history(ebh, headers, params, version=version, old=old, accept=accept)
            for version in VERSIONS
            for old in (False, True)
        }
        expected = answers[("v1", False)]
        assert expected.status_code in (200, 400, 401, 406), (name, expected.text)
        for (version, old), response in answers.items():
            where = f"{name}: {history_url(version, old)}"
            assert (response.status_code, response.json()) == (expected.status_code, expected.json()), where
            if old:
                assert response.headers.get("Deprecation") == "true", where
                link = f'</ebh/statuses/{version}/history>; rel="successor-version"'
                assert response.headers.get("Link") == link, where
            else:
                assert "Deprecation" not in response.headers, where
                assert "Link" not in response.headers, where
        if expected.status_code == 200 and name != "unknown":
            assert expected.json()["InvoiceStatuses"], name
    by_id = history(ebh, good, {"SubmissionId": submission_id}).json()["InvoiceStatuses"]
    assert [e["SubmissionId"] for e in by_id] == [submission_id, submission_id]


def test_operation_ids_are_distinct_on_every_kind_of_answer(ebh: httpx.Client, practice: Practice) -> None:
    key = str(uuid.uuid4())
    body = submission(payors=PAYORS[:1])
    responses = [
        submit(ebh, practice.ebh_headers, body, key=key),  # 201
        submit(ebh, practice.ebh_headers, body, key=key),  # 201 replayed
        submit(ebh, practice.ebh_headers, submission(body["InvoiceId"], PAYORS[:1])),  # 409
        submit(ebh, practice.ebh_headers, {}),  # 400
        submit(ebh, {"ProducerId": practice.producer_id}, body),  # 400
        submit(ebh, {**practice.ebh_headers, "ProviderKey": "nope"}, body),  # 401
        history(ebh, practice.ebh_headers, {"InvoiceId": body["InvoiceId"]}),  # 200
        history(ebh, practice.ebh_headers, {"InvoiceId": body["InvoiceId"]}, old=True),  # 200, deprecated
        history(ebh, practice.ebh_headers, {"InvoiceId": new_invoice_id()}, version="v2"),  # 200 empty
        history(ebh, practice.ebh_headers),  # 400
        history(ebh, {"ProviderKey": practice.provider_key}, {"InvoiceId": "1"}),  # 400
        history(ebh, {**practice.ebh_headers, "ProviderKey": "nope"}, {"InvoiceId": "1"}),  # 401
        history(ebh, practice.ebh_headers, {"InvoiceId": "1"}, accept="application/xml"),  # 406
        ebh.get("/ebh/statuses/v3/history", params={"InvoiceId": "1"}, headers=practice.ebh_headers),  # 400
    ]
    expected = [201, 201, 409, 400, 400, 401, 200, 200, 200, 400, 400, 401, 406, 400]
    assert [r.status_code for r in responses] == expected, [r.text for r in responses]
    ids = [r.headers["OperationId"] for r in responses]
    assert len(set(ids)) == len(ids), ids
    for value in ids:
        uuid.UUID(value)


# -- found by the fuzzing suite (tests/fuzz): each was a 500 -------------------------------------------
def test_a_body_of_another_media_type_is_415_naming_json(ebh: httpx.Client, practice: Practice) -> None:
    # it was a 500, then a 400 that did not say which media type the operation takes
    headers = {**practice.ebh_headers, "Content-Type": "text/plain"}
    response = ebh.post(submit_url(), content=json.dumps(submission()), headers=headers)
    assert_error(response, 415)
    assert "application/json" in response.json()["Message"]


def test_a_version_of_characters_no_route_takes_is_400(ebh: httpx.Client, practice: Practice) -> None:
    response = ebh.get(
        "/ebh/statuses/%F1%9C%BC%B5/history", params={"InvoiceId": "1"}, headers=practice.ebh_headers
    )
    assert_error(response, 400)


@pytest.mark.parametrize("where", ["key check", "submission"])
def test_a_throttled_store_is_503_with_retry_after(
    ebh: httpx.Client, practice: Practice, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # given a store that keeps throttling, before routing (the producer's key) or in the use case
    def throttled(*_: Any, **__: Any) -> None:
        raise ServiceBusy()

    if where == "key check":
        monkeypatch.setattr(CredentialRepository, "find", throttled)
    else:
        monkeypatch.setattr(Submissions, "submit", throttled)
    response = ebh.post(submit_url(), json=submission(), headers=practice.ebh_headers)
    # then eBillingHub's error shape asks the client to come back (it was a 500)
    assert_error(response, 503)
    assert int(response.headers["Retry-After"]) >= 1
