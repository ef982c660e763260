"""eBillingHub's SubmissionRequests over HTTP, as its clients call it: an eSF invoice in XML (v2.0.2 on v1,
v3.1.2 on v2) with ProducerId + ProviderKey and `InvoiceType: ESF`; 201 with the SubmissionId that the
status history takes, where each payor org's send goes received, forwarded, ebilled. The same document
broken in each required element is 400 naming it; an XML bomb or an external entity is 400 and reads
nothing; the headers are checked as the Submission API documents them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import fromstring, tostring

import httpx
import pytest

from invoice_hub.contracts.ebh import esf
from invoice_hub_local.stack import LocalStack
from tests.conftest import EVENTS, Practice
from tests.e2e.test_ebh_http import delivered, ebh, settled, trail
from tests.polling import wait_for
from tests.unit.test_esf import BOMB, REQUIRED_V1, without, xxe

pytestmark = pytest.mark.e2e
__all__ = ["ebh"]  # the module's fixture: every answer carries a fresh OperationId
SAMPLES = EVENTS / "ebh_submission_request"
TWO_PAYORS = (SAMPLES / "esf_2_0_2_two_payors.xml").read_text(encoding="utf-8")
ONE_PAYOR = (SAMPLES / "esf_3_1_2_one_payor.xml").read_text(encoding="utf-8")
ESF = {"Content-Type": "application/xml", "InvoiceType": "ESF"}


def url(version: str = "v1", old: bool = False) -> str:
    return (
        f"/submissions/api/{version}/SubmissionRequests"
        if old
        else f"/ebh/submissions/{version}/SubmissionRequests"
    )


def fresh(document: str, invoice_id: str) -> tuple[str, str]:
    """The sample with an invoice id of this test's own (each payor org's invoice)."""
    new = f"T-{uuid.uuid4().hex[:12]}"
    return document.replace(f"<id>{invoice_id}</id>", f"<id>{new}</id>"), new


def post(
    client: httpx.Client, practice: Practice, body: str | bytes, version: str = "v1", **headers: str
) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return client.post(url(version), content=content, headers={**practice.ebh_headers, **ESF, **headers})


def test_an_esf_invoice_to_two_payor_orgs_is_received_forwarded_and_ebilled_by_each(
    stack: LocalStack, ebh: httpx.Client, practice: Practice
) -> None:
    document, invoice_id = fresh(TWO_PAYORS, "RC-2026-11-0042")
    answer = post(ebh, practice, document, Username="billing-clerk")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert list(body) == ["SubmissionId", "InvoiceId"]
    assert body["InvoiceId"] == invoice_id
    submission_id = body["SubmissionId"]
    assert answer.headers["Location"] == f"/ebh/statuses/v1/history?SubmissionId={submission_id}"

    entries = settled(ebh, practice.ebh_headers, "ebilled", 2, SubmissionId=submission_id)
    assert sorted((e["PayorOrgId"], e["PayorOrgEBillingId"]) for e in entries) == [
        ("111", "222"),
        ("222", "444"),
    ]
    assert {e["InvoiceId"] for e in entries} == {invoice_id}
    assert all(trail(e) == ["received", "forwarded", "ebilled"] for e in entries)

    def both_sent() -> list[dict[str, Any]] | None:
        sends = delivered(stack, practice)
        return sends if len(sends) >= 2 else None

    sends = wait_for(both_sent, what="a send to each payor org")
    assert {s["body"]["amount_cents"] for s in sends} == {184500}


def test_a_v2_document_at_the_old_url_is_answered_the_same_and_marked_deprecated(
    ebh: httpx.Client, practice: Practice
) -> None:
    document, invoice_id = fresh(ONE_PAYOR, "LPT-88310")
    answer = ebh.post(url("v2", old=True), content=document.encode(), headers={**practice.ebh_headers, **ESF})
    assert answer.status_code == 201, answer.text
    assert answer.json()["InvoiceId"] == invoice_id
    assert answer.headers["Deprecation"] == "true"
    assert answer.headers["Link"] == '</ebh/submissions/v2/SubmissionRequests>; rel="successor-version"'
    # the eSF version follows the API's: this v3.1.2 document's one document-level tax is v2's limit
    two_taxes = document.replace("<tax/>", "<tax/><tax/>")
    assert post(ebh, practice, two_taxes, "v2").status_code == 400
    assert post(ebh, practice, fresh(two_taxes, invoice_id)[0], "v1").status_code == 201


@pytest.mark.parametrize("path", REQUIRED_V1)
def test_the_document_without_a_required_part_is_400_naming_it(
    ebh: httpx.Client, practice: Practice, path: str
) -> None:
    broken = without(TWO_PAYORS.encode(), "v1", path)
    answer = post(ebh, practice, broken)
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"Message": f"The invoice is invalid: {path}: required element missing."} or (
        answer.json() == {"Message": f"The invoice is invalid: {path}: required attribute missing."}
    )


def test_an_xml_bomb_and_an_external_entity_are_400_and_read_nothing(
    ebh: httpx.Client, practice: Practice, tmp_path: Path
) -> None:
    bomb = post(ebh, practice, BOMB)
    assert bomb.status_code == 400
    assert "may not declare a DTD" in bomb.json()["Message"]
    secret = tmp_path / "secret.txt"
    secret.write_text("DO-NOT-LEAK", encoding="utf-8")
    leak = post(ebh, practice, xxe(secret))
    assert leak.status_code == 400
    assert "DO-NOT-LEAK" not in leak.text


@pytest.mark.parametrize(
    ("headers", "status", "says"),
    [
        ({"Content-Type": "application/json"}, 415, "application/xml"),
        ({"Content-Type": "text/plain"}, 415, "application/xml"),
        ({"InvoiceType": "UBF"}, 415, "eSF invoices only"),
        ({"InvoiceType": "LEDES"}, 400, "InvoiceType"),
        ({"InvoiceState": "Draft"}, 400, "InvoiceState"),
        ({"Accept": "application/xml"}, 406, "Accept"),
    ],
)
def test_the_documented_headers_are_checked(
    ebh: httpx.Client, practice: Practice, headers: dict[str, str], status: int, says: str
) -> None:
    answer = post(ebh, practice, TWO_PAYORS, **headers)
    assert answer.status_code == status, answer.text
    assert says.lower() in answer.json()["Message"].lower()


def test_without_invoice_type_the_document_is_ubf_which_is_refused(
    ebh: httpx.Client, practice: Practice
) -> None:
    answer = ebh.post(
        url(),
        content=TWO_PAYORS.encode(),
        headers={**practice.ebh_headers, "Content-Type": "application/xml"},
    )
    assert answer.status_code == 415
    assert "UBF" in answer.json()["Message"]


def test_other_credentials_and_sizes(ebh: httpx.Client, practice: Practice) -> None:
    wrong = ebh.post(
        url(), content=TWO_PAYORS.encode(), headers={**ESF, "ProducerId": "x", "ProviderKey": "y"}
    )
    assert wrong.status_code == 401
    large = TWO_PAYORS.replace("<esfdoc>", "<esfdoc><!--" + "x" * (1024 * 1024) + "-->")
    assert post(ebh, practice, large).status_code == 413


def test_a_resubmission_while_with_the_payor_is_409(ebh: httpx.Client, practice: Practice) -> None:
    document, _ = fresh(ONE_PAYOR, "LPT-88310")
    assert post(ebh, practice, document, "v2").status_code == 201
    again = post(ebh, practice, document, "v2")
    assert again.status_code == 409, again.text


def test_payor_orgs_with_different_invoices_are_400(ebh: httpx.Client, practice: Practice) -> None:
    root = fromstring(TWO_PAYORS)
    second = root.findall("payor_orgs/payor_org")[1]
    description = second.find("invoice/matters/matter/fees/fee/description")
    assert description is not None
    description.text = "Something else"
    answer = post(ebh, practice, tostring(root))
    assert answer.status_code == 400
    assert "payor_org[2]/invoice: differs" in answer.json()["Message"]
    assert esf.VERSIONS == {"v1": "2.0.2", "v2": "3.1.2"}
