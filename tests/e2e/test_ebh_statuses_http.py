"""eBillingHub's Submission and Status APIs past the first submission, over HTTP: an invoice submitted as
`new` (its attachments to come, or a proforma) and made ready; the status details, the search and the
status update, with the transitions the Status API's use cases name (nothing leaves dead; only a
rejected invoice, one the payor needs more information for, or one under appeal is received again)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Practice
from tests.e2e.test_ebh_http import ebh, settled, statuses, trail
from tests.e2e.test_ebh_submission_requests_http import ONE_PAYOR, TWO_PAYORS, fresh, post
from tests.polling import wait_for

pytestmark = pytest.mark.e2e
__all__ = ["ebh"]  # the module's fixture: every answer carries a fresh OperationId


def submitted(
    ebh: httpx.Client, practice: Practice, document: str, version: str = "v1", **headers: str
) -> str:
    answer = post(ebh, practice, document, version, **headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["SubmissionId"])


def ready_url(submission_id: str, invoice_id: str, version: str = "v1", old: bool = False) -> str:
    base = f"/submissions/api/{version}" if old else f"/ebh/submissions/{version}"
    return f"{base}/SubmissionRequests/{submission_id}/invoices/{invoice_id}"


def ready(
    ebh: httpx.Client, practice: Practice, submission_id: str, invoice_id: str, **kw: Any
) -> httpx.Response:
    return ebh.put(
        ready_url(submission_id, invoice_id, **kw),
        headers={**practice.ebh_headers, "Content-Type": "application/json"},
    )


def statuses_url(operation: str, version: str = "v1", old: bool = False) -> str:
    return f"/statuses/api/{version}/{operation}" if old else f"/ebh/statuses/{version}/{operation}"


def details(ebh: httpx.Client, practice: Practice, *invoice_ids: str, **kw: Any) -> list[dict[str, Any]]:
    answer = ebh.get(
        statuses_url("details", **kw),
        params=[("InvoiceId", i) for i in invoice_ids],
        headers=practice.ebh_headers,
    )
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["InvoiceList"]["ListOfInvoices"]
    return found


def search(ebh: httpx.Client, practice: Practice, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    answer = ebh.post(statuses_url("search", **kw), json=body, headers=practice.ebh_headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def set_status(
    ebh: httpx.Client,
    practice: Practice,
    status: str,
    comment: str = "noted",
    old: bool = False,
    **params: str,
) -> httpx.Response:
    return ebh.put(
        statuses_url("invoice", old=old),
        params=params,
        json={"Status": status, "Comment": comment},
        headers={**practice.ebh_headers, "Username": "ar-clerk"},
    )


def invoice_with_attachments(document: str) -> str:
    return document.replace('has_attachments="false"', 'has_attachments="true"')


def test_an_invoice_with_attachments_is_new_until_made_ready_then_forwarded(
    ebh: httpx.Client, practice: Practice
) -> None:
    document, invoice_id = fresh(invoice_with_attachments(TWO_PAYORS), "RC-2026-11-0042")
    submission_id = submitted(ebh, practice, document)
    held = statuses(ebh, practice.ebh_headers, SubmissionId=submission_id)
    assert [trail(entry) for entry in held] == [["new"], ["new"]]

    # an invoice submitted after it is forwarded and ebilled while it still waits
    later, _ = fresh(ONE_PAYOR, "LPT-88310")
    settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=submitted(ebh, practice, later, "v2"))
    assert [trail(entry) for entry in statuses(ebh, practice.ebh_headers, SubmissionId=submission_id)] == [
        ["new"],
        ["new"],
    ]

    made = ready(ebh, practice, submission_id, invoice_id)
    assert made.status_code == 204, made.text
    assert made.content == b""
    entries = settled(ebh, practice.ebh_headers, "ebilled", 2, SubmissionId=submission_id)
    assert all(trail(entry) == ["new", "received", "forwarded", "ebilled"] for entry in entries)

    again = ready(ebh, practice, submission_id, invoice_id, old=True)
    assert again.status_code == 409, again.text
    assert again.headers["Deprecation"] == "true"
    unknown = ready(ebh, practice, submission_id, "NOT-THIS-ONE")
    assert unknown.status_code == 404
    assert "not found" in unknown.json()["Message"]


def test_a_proforma_is_kept_never_forwarded_and_gives_way_to_the_final_invoice(
    ebh: httpx.Client, practice: Practice
) -> None:
    document, invoice_id = fresh(ONE_PAYOR, "LPT-88310")
    proforma = submitted(ebh, practice, document, "v2", InvoiceState="Proforma")
    assert [trail(e) for e in statuses(ebh, practice.ebh_headers, SubmissionId=proforma)] == [["new"]]
    refused = ready(ebh, practice, proforma, invoice_id, version="v2")
    assert refused.status_code == 409
    assert "proforma" in refused.json()["Message"]

    final = submitted(ebh, practice, document, "v2", InvoiceState="FinalInvoice")
    settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=final)
    assert [trail(e) for e in statuses(ebh, practice.ebh_headers, SubmissionId=proforma)] == [["new", "dead"]]


def test_details_give_each_payors_invoice_as_the_status_api_documents(
    ebh: httpx.Client, practice: Practice
) -> None:
    document, invoice_id = fresh(TWO_PAYORS, "RC-2026-11-0042")
    submission_id = submitted(ebh, practice, document)
    settled(ebh, practice.ebh_headers, "ebilled", 2, SubmissionId=submission_id)
    other, other_id = fresh(ONE_PAYOR, "LPT-88310")
    settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=submitted(ebh, practice, other, "v2"))

    found = details(ebh, practice, f"{invoice_id},{other_id}", "UNKNOWN-ONE")
    assert [(d["InvoiceId"], d["PayorOrgId"]) for d in found] == [
        (invoice_id, "111"),
        (invoice_id, "222"),
        (other_id, "311"),
    ]
    first = found[0]
    assert list(first)[:14] == [
        "InvoiceId",
        "HubReferenceNumber",
        "InvoiceDate",
        "StartDate",
        "EndDate",
        "TransmitDateTime",
        "ApprovedDateTime",
        "CurrentHubStatus",
        "ChangedDateTime",
        "MatterId",
        "MatterDescription",
        "StatusNote",
        "EBHRecipient",
        "Vendor",
    ]
    assert isinstance(first["HubReferenceNumber"], int)
    assert first["HubReferenceNumber"] == found[1]["HubReferenceNumber"] != found[2]["HubReferenceNumber"]
    assert (first["InvoiceDate"], first["StartDate"], first["EndDate"]) == (
        "11/30/2026",
        "11/1/2026",
        "11/30/2026",
    )
    assert first["TransmitDateTime"] >= first["ChangedDateTime"][:10]
    assert first["ApprovedDateTime"] == ""
    assert (first["CurrentHubStatus"], first["StatusNote"]) == ("ebilled", "")
    assert (first["MatterId"], first["MatterDescription"]) == ("RC-M-0042", "Outpatient follow-up")
    assert (first["ClientName"], first["ClientId"], first["SubmissionId"]) == (
        "Northwind Health Plan",
        "222",
        submission_id,
    )
    assert details(ebh, practice, invoice_id, old=True, version="v2") == found[:2]

    missing = ebh.get(statuses_url("details"), headers=practice.ebh_headers)
    assert missing.status_code == 400
    assert "InvoiceId" in missing.json()["Message"]


def test_statuses_set_by_the_firm_reach_the_history_and_the_details(
    ebh: httpx.Client, practice: Practice
) -> None:
    document, invoice_id = fresh(TWO_PAYORS, "RC-2026-11-0042")
    submission_id = submitted(ebh, practice, document)
    settled(ebh, practice.ebh_headers, "ebilled", 2, SubmissionId=submission_id)

    approved = set_status(
        ebh, practice, "Approved", "approved by the plan", InvoiceId=invoice_id, PayorOrgId="111"
    )
    assert approved.status_code == 200, approved.text
    [entry] = approved.json()["InvoiceStatuses"]
    assert (entry["PayorOrgId"], trail(entry)) == ("111", ["received", "forwarded", "ebilled", "approved"])
    by_payor = {d["PayorOrgId"]: d for d in details(ebh, practice, invoice_id)}
    assert by_payor["111"]["CurrentHubStatus"] == "approved"
    assert by_payor["111"]["ApprovedDateTime"] == entry["StatusHistory"][-1]["StatusDate"]
    assert by_payor["111"]["StatusNote"] == "approved by the plan"
    assert by_payor["222"]["CurrentHubStatus"] == "ebilled"

    # by e-billing id, through the old URL
    paid = set_status(
        ebh, practice, "payment sent", old=True, SubmissionId=submission_id, PayorOrgEBillingId="222"
    )
    assert paid.status_code == 200, paid.text
    assert paid.headers["Deprecation"] == "true"
    assert trail(paid.json()["InvoiceStatuses"][0])[-1] == "payment sent"

    # a resubmission needs a rejected invoice (or more information asked, or an appeal)
    refused = set_status(ebh, practice, "received", InvoiceId=invoice_id, PayorOrgId="111")
    assert refused.status_code == 409
    assert "is payment sent with payer 111" in refused.json()["Message"]
    assert set_status(ebh, practice, "dead", InvoiceId=invoice_id, PayorOrgId="111").status_code == 200
    after_dead = set_status(ebh, practice, "in review", InvoiceId=invoice_id, PayorOrgId="111")
    assert after_dead.status_code == 409
    assert "dead" in after_dead.json()["Message"]

    bad = set_status(ebh, practice, "lost", InvoiceId=invoice_id, PayorOrgId="222")
    assert bad.status_code == 400
    no_payor = set_status(ebh, practice, "approved", InvoiceId=invoice_id)
    assert no_payor.status_code == 400
    assert "PayorOrgId" in no_payor.json()["Message"]
    nobody = set_status(ebh, practice, "approved", InvoiceId=invoice_id, PayorOrgId="999")
    assert nobody.status_code == 404


def test_a_rejected_invoice_set_received_is_forwarded_again(ebh: httpx.Client, practice: Practice) -> None:
    document, invoice_id = fresh(ONE_PAYOR, "LPT-88310")
    submission_id = submitted(ebh, practice, document, "v2")
    settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=submission_id)
    assert (
        set_status(
            ebh, practice, "rejected", "wrong code", InvoiceId=invoice_id, PayorOrgId="311"
        ).status_code
        == 200
    )
    resent = set_status(ebh, practice, "Received", "code fixed", InvoiceId=invoice_id, PayorOrgId="311")
    assert resent.status_code == 200, resent.text
    [entry] = settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=submission_id)
    assert trail(entry) == [
        "received",
        "forwarded",
        "ebilled",
        "rejected",
        "received",
        "forwarded",
        "ebilled",
    ]


def test_the_search_filters_as_the_status_api_documents(ebh: httpx.Client, practice: Practice) -> None:
    document, invoice_id = fresh(TWO_PAYORS, "RC-2026-11-0042")
    matter = f"M-{invoice_id}"
    document = document.replace("<biller_org_matter_id>RC-M-0042<", f"<biller_org_matter_id>{matter}<")
    submission_id = submitted(ebh, practice, document)
    settled(ebh, practice.ebh_headers, "ebilled", 2, SubmissionId=submission_id)
    other, other_id = fresh(ONE_PAYOR, "LPT-88310")
    other_submission = submitted(ebh, practice, other, "v2")
    settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=other_submission)

    # the keys in any case, as eBillingHub's own example writes them
    both = search(ebh, practice, {"submissionid": [submission_id, other_submission]})
    assert both["TotalCount"] == 3
    assert [d["InvoiceId"] for d in both["InvoiceList"]["ListOfInvoices"]] == [
        invoice_id,
        invoice_id,
        other_id,
    ]
    # more ids than are read one query each: the same matches, from one read of the practice's sends
    unknown = [str(uuid.uuid4()), str(uuid.uuid4())]
    many = search(ebh, practice, {"SubmissionId": [submission_id, other_submission, *unknown]})
    assert many["InvoiceList"] == both["InvoiceList"]
    by_matter = search(ebh, practice, {"MatterId": [matter]})
    assert {(d["InvoiceId"], d["MatterId"]) for d in by_matter["InvoiceList"]["ListOfInvoices"]} == {
        (invoice_id, matter)
    }
    by_payor = search(ebh, practice, {"InvoiceId": [invoice_id, other_id], "PayorOrgEBillingId": "444"})
    assert [d["PayorOrgId"] for d in by_payor["InvoiceList"]["ListOfInvoices"]] == ["222"]

    assert set_status(ebh, practice, "paid", InvoiceId=invoice_id, PayorOrgId="111").status_code == 200
    active = search(ebh, practice, {"InvoiceId": [invoice_id], "IsActive": True}, old=True)
    assert [d["PayorOrgId"] for d in active["InvoiceList"]["ListOfInvoices"]] == ["222"]
    everything = search(ebh, practice, {"InvoiceId": [invoice_id]})
    assert everything["TotalCount"] == 2

    page = search(
        ebh, practice, {"SubmissionId": [submission_id, other_submission], "PageSize": 2, "Page": 2}
    )
    assert (page["TotalCount"], page["Page"], page["PageSize"]) == (3, 2, 2)
    assert [d["InvoiceId"] for d in page["InvoiceList"]["ListOfInvoices"]] == [other_id]

    # the status change date range, in the documented forms
    future = search(ebh, practice, {"InvoiceId": [invoice_id], "StartDate": "1/1/2999"})
    assert future["TotalCount"] == 0
    past = search(
        ebh,
        practice,
        {"InvoiceId": [invoice_id], "StartDate": "2020-01-01", "EndDate": "2999-12-31T00:00:00"},
    )
    assert past["TotalCount"] == 2
    wrong = ebh.post(statuses_url("search"), json={"StartDate": "yesterday"}, headers=practice.ebh_headers)
    assert wrong.status_code == 400
    assert "StartDate" in wrong.json()["Message"]
    too_big = ebh.post(statuses_url("search"), json={"PageSize": 501}, headers=practice.ebh_headers)
    assert too_big.status_code == 400


def test_a_resubmission_after_the_payor_rejected_it_ends_the_earlier_send(
    ebh: httpx.Client, practice: Practice
) -> None:
    document, invoice_id = fresh(ONE_PAYOR, "LPT-88310")
    first = submitted(ebh, practice, document, "v2")
    settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=first)
    assert (
        set_status(ebh, practice, "rejected", "wrong code", SubmissionId=first, PayorOrgId="311").status_code
        == 200
    )

    second = submitted(ebh, practice, document, "v2")
    settled(ebh, practice.ebh_headers, "ebilled", 1, SubmissionId=second)
    [earlier] = statuses(ebh, practice.ebh_headers, SubmissionId=first)
    assert trail(earlier)[-2:] == ["rejected", "dead"]
    # the earlier send is over: it is not sent again
    again = set_status(ebh, practice, "received", SubmissionId=first, PayorOrgId="311")
    assert again.status_code == 409
    assert "dead" in again.json()["Message"]
    assert [d["SubmissionId"] for d in details(ebh, practice, invoice_id)] == [second]


def test_a_payor_made_dead_while_the_invoice_waits_is_left_out_when_it_is_made_ready(
    ebh: httpx.Client, practice: Practice
) -> None:
    document, invoice_id = fresh(invoice_with_attachments(TWO_PAYORS), "RC-2026-11-0042")
    submission_id = submitted(ebh, practice, document)
    withdrawn = set_status(ebh, practice, "dead", "withdrawn", SubmissionId=submission_id, PayorOrgId="111")
    assert withdrawn.status_code == 200, withdrawn.text
    assert ready(ebh, practice, submission_id, invoice_id).status_code == 204
    entries = {
        e["PayorOrgId"]: trail(e) for e in statuses(ebh, practice.ebh_headers, SubmissionId=submission_id)
    }
    assert entries["111"] == ["new", "dead"]

    def payor_222_ebilled() -> bool:
        found = {
            e["PayorOrgId"]: trail(e) for e in statuses(ebh, practice.ebh_headers, SubmissionId=submission_id)
        }
        return found["222"][-1] == "ebilled" and found["111"] == ["new", "dead"]

    wait_for(payor_222_ebilled, "payor 222's send, and payor 111's left dead")
