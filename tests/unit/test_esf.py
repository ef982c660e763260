"""eSF invoices as eBillingHub's Submission API takes them: the sample documents read as the invoice they
bill; the same document broken in each required element or attribute is refused naming it; XML that
declares a DTD, entities or external references is refused before anything is expanded or read."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element, fromstring, tostring

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoice_hub.contracts.ebh import esf
from tests.conftest import EVENTS

SAMPLES = EVENTS / "ebh_submission_request"
TWO_PAYORS = (SAMPLES / "esf_2_0_2_two_payors.xml").read_bytes()
ONE_PAYOR = (SAMPLES / "esf_3_1_2_one_payor.xml").read_bytes()


def test_the_samples_read_as_the_invoice_they_bill() -> None:
    two = esf.read(TWO_PAYORS, "v1")
    assert (two.invoice_id, str(two.invoice_date)) == ("RC-2026-11-0042", "2026-11-30")
    assert [(p.org_id, p.ebilling_id) for p in two.payors] == [("111", "222"), ("222", "444")]
    assert [(line.code, line.quantity, line.unit_price) for line in two.lines] == [
        ("99214", Decimal("1.5"), Decimal("450.00")),
        ("93306", Decimal(1), Decimal("980.00")),
        ("E124", Decimal(2), Decimal("95.00")),
    ]
    assert sum(line.quantity * line.unit_price for line in two.lines) == Decimal("1845.00")
    assert [matter.id for matter in two.matters] == ["RC-M-0042"]
    assert two.has_attachments is False
    assert (str(two.period_start), str(two.period_end)) == ("2026-11-01", "2026-11-30")
    assert two.payors[0].name == "Northwind Health Plan"

    one = esf.read(ONE_PAYOR, "v2")
    fixed = one.lines[1]  # 0 hours at 0, amount 130: one unit of its amount
    assert (fixed.quantity, fixed.unit_price) == (Decimal(1), Decimal("130.00"))


def required(node: esf.Node, element: Element, path: str) -> Iterator[tuple[str, Element, str | None]]:
    """(the path the service names, the parent element, the attribute) for every required element and
    attribute of the document, in the first instance of each segment."""
    for name, (needed, _) in node.attributes.items():
        if needed:
            yield f"{path}/@{name}", element, name
    for child in node.children:
        found = [e for e in element if e.tag == child.name]
        if child.occurs[0] >= 1:
            yield f"{path}/{child.name}", element, None
        if found:
            suffix = "[1]" if child.occurs[1] > 1 else ""
            yield from required(child, found[0], f"{path}/{child.name}{suffix}")


def without(document: bytes, version: str, path: str) -> bytes:
    """The document without the element or attribute at `path` (every instance of the element there)."""
    root = fromstring(document)
    for named, parent, attribute in required(esf.schema(version), root, "esfdoc"):
        if named == path:
            if attribute is not None:
                del parent.attrib[attribute]
            else:
                for child in [e for e in parent if e.tag == path.rsplit("/", 1)[1]]:
                    parent.remove(child)
            return tostring(root)
    raise AssertionError(f"{path} is not a required part of the document")


REQUIRED_V1 = [named for named, _, _ in required(esf.schema("v1"), fromstring(TWO_PAYORS), "esfdoc")]
REQUIRED_V2 = [named for named, _, _ in required(esf.schema("v2"), fromstring(ONE_PAYOR), "esfdoc")]


def test_the_required_parts_are_the_field_tables() -> None:
    assert "esfdoc/billing_org/@id" in REQUIRED_V1
    assert "esfdoc/billing_org/@ebilling_id" in REQUIRED_V1
    assert "esfdoc/payor_orgs/payor_org" in REQUIRED_V1
    assert "esfdoc/payor_orgs/payor_org[1]/invoice/id" in REQUIRED_V2
    assert "esfdoc/payor_orgs/payor_org[1]/invoice/matters/matter[1]/biller_org_matter_id" in REQUIRED_V2
    assert len(REQUIRED_V1) == len(set(REQUIRED_V1)) > 20


@pytest.mark.parametrize("path", REQUIRED_V1)
def test_a_v1_document_without_a_required_part_is_refused_naming_it(path: str) -> None:
    with pytest.raises(esf.EsfInvalid) as refused:
        esf.read(without(TWO_PAYORS, "v1", path), "v1")
    assert refused.value.path == path
    assert "required" in refused.value.problem


@pytest.mark.parametrize("path", REQUIRED_V2)
def test_a_v2_document_without_a_required_part_is_refused_naming_it(path: str) -> None:
    with pytest.raises(esf.EsfInvalid) as refused:
        esf.read(without(ONE_PAYOR, "v2", path), "v2")
    assert refused.value.path == path


def changed(document: bytes, tag_path: str, text: str) -> bytes:
    root = fromstring(document)
    found = root.find(tag_path)
    assert found is not None, tag_path
    found.text = text
    return tostring(root)


INVOICE = "payor_orgs/payor_org/invoice"


@pytest.mark.parametrize(
    ("tag_path", "text", "named", "problem"),
    [
        (f"{INVOICE}/id", "RC 2026 42", "invoice/id", "must not contain spaces"),
        (f"{INVOICE}/id", "X" * 61, "invoice/id", "at most 60 characters"),
        (f"{INVOICE}/date", "30/11/2026", "invoice/date", "xs:date"),
        (f"{INVOICE}/currency", "usd", "invoice/currency", "ISO 4217"),
        (f"{INVOICE}/matters/matter/fees/fee/amount", "-5", "fee[1]/amount", "decimal from 0"),
        (f"{INVOICE}/matters/matter/fees/fee/hours", "NaN", "fee[1]/hours", "decimal from 0"),
        (f"{INVOICE}/total_amount", "1845.01", "invoice/total_amount", "sum to 1845.00"),
        ("timestamp", "yesterday", "esfdoc/timestamp", "xs:dateTime"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_its_element(
    tag_path: str, text: str, named: str, problem: str
) -> None:
    with pytest.raises(esf.EsfInvalid) as refused:
        esf.read(changed(TWO_PAYORS, tag_path, text), "v1")
    assert refused.value.path.endswith(named)
    assert problem in refused.value.problem


def test_payor_orgs_billing_different_invoices_are_refused() -> None:
    root = fromstring(TWO_PAYORS)
    second = root.findall("payor_orgs/payor_org")[1]
    amount = second.find("invoice/matters/matter/expenses/expense/amount")
    total = second.find("invoice/total_amount")
    assert amount is not None
    assert total is not None
    amount.text, total.text = "200.00", "1855.00"
    with pytest.raises(esf.EsfInvalid) as refused:
        esf.read(tostring(root), "v1")
    assert refused.value.path == "esfdoc/payor_orgs/payor_org[2]/invoice"


def test_a_payor_org_twice_and_a_matter_that_bills_nothing_are_refused() -> None:
    root = fromstring(TWO_PAYORS)
    root.findall("payor_orgs/payor_org")[1].set("id", "111")
    with pytest.raises(esf.EsfInvalid, match=r"payor_org\[2\]/@id: each payor org may appear once"):
        esf.read(tostring(root), "v1")
    root = fromstring(ONE_PAYOR)
    matter = root.find(f"{INVOICE}/matters/matter")
    fees = root.find(f"{INVOICE}/matters/matter/fees")
    assert matter is not None
    assert fees is not None
    matter.remove(fees)
    with pytest.raises(esf.EsfInvalid, match=r"matter\[1\]: bills no fee and no expense"):
        esf.read(tostring(root), "v2")


def test_v2_allows_one_document_level_tax_and_v1_several() -> None:
    root = fromstring(ONE_PAYOR)
    taxes = root.find("taxes")
    assert taxes is not None
    taxes.append(copy.deepcopy(taxes[0]))
    esf.read(tostring(root), "v1")
    with pytest.raises(esf.EsfInvalid, match="esfdoc/taxes/tax: may occur at most 1"):
        esf.read(tostring(root), "v2")


def test_namespaced_elements_read_by_their_local_names() -> None:
    text = TWO_PAYORS.decode().replace("<esfdoc>", '<esfdoc xmlns="urn:example:esf">')
    assert esf.read(text.encode(), "v1").invoice_id == "RC-2026-11-0042"


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE esfdoc [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<esfdoc><billing_org id="&f;" ebilling_id="1"><name>x</name></billing_org></esfdoc>
"""


def xxe(target: Path) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE esfdoc [<!ENTITY leak SYSTEM "file://{target}">]>'
        '<esfdoc><billing_org id="&leak;" ebilling_id="1"><name>x</name></billing_org></esfdoc>'
    ).encode()


def test_an_xml_bomb_is_refused_without_being_expanded() -> None:
    # expanded, `f` is 30**5 * 88 bytes (about 2 GB): the test ends only because it is not
    with pytest.raises(esf.EsfInvalid, match="may not declare a DTD"):
        esf.read(BOMB, "v1")


def test_an_external_entity_is_refused_and_reads_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("DO-NOT-LEAK", encoding="utf-8")
    with pytest.raises(esf.EsfInvalid) as refused:
        esf.read(xxe(secret), "v1")
    assert "DO-NOT-LEAK" not in str(refused.value)
    bare = b'<?xml version="1.0"?><!DOCTYPE esfdoc SYSTEM "http://127.0.0.1:9/esf.dtd"><esfdoc/>'
    with pytest.raises(esf.EsfInvalid, match="may not declare a DTD"):
        esf.read(bare, "v1")


def test_a_document_nested_deeper_than_any_esf_is_refused_as_it_is_read() -> None:
    deep = b"<esfdoc>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</esfdoc>"
    with pytest.raises(esf.EsfInvalid, match="deeper than 32 levels"):
        esf.read(deep, "v1")
    # the deepest eSF element is well within the bound
    assert esf.read(TWO_PAYORS, "v1").lines


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "not well-formed"),
        (b"<esfdoc>", "not well-formed"),
        (b'{"InvoiceId": "4326"}', "not well-formed"),
        (b"<invoice/>", "the root element must be esfdoc"),
    ],
)
def test_what_is_not_an_esf_document_is_refused(body: bytes, problem: str) -> None:
    with pytest.raises(esf.EsfInvalid, match=problem):
        esf.read(body, "v1")


@given(st.binary(max_size=400))
def test_any_bytes_are_an_invoice_or_refused_as_esf_never_another_error(body: bytes) -> None:
    with contextlib.suppress(esf.EsfInvalid):
        esf.read(body, "v2")


ELEMENTS = sorted({path for path in (e.tag for e in fromstring(TWO_PAYORS).iter()) if isinstance(path, str)})


@given(st.sampled_from(ELEMENTS), st.text(max_size=80))
def test_the_sample_with_any_text_in_any_element_is_read_or_refused_naming_the_element(
    tag: str, text: str
) -> None:
    root = fromstring(TWO_PAYORS)
    for element in root.iter(tag):
        element.text = text
    problem: esf.EsfInvalid | None = None
    try:
        esf.read(tostring(root), "v1")
    except esf.EsfInvalid as refused:
        problem = refused
    # read, or refused at the element at fault (or, for a character XML cannot carry, the document)
    assert problem is None or problem.path.startswith("esfdoc") or "not well-formed" in problem.problem


def test_an_encoding_it_cannot_read_and_more_than_its_bounds_are_refused() -> None:
    for declared in (
        b'<?xml version="1.0" encoding="bogus"?><esfdoc/>',
        b'<?xml version="1.0" encoding="utf-32"?><esfdoc/>',
    ):
        with pytest.raises(esf.EsfInvalid, match=r"encoding|well-formed"):
            esf.read(declared, "v1")
    root = fromstring(TWO_PAYORS)
    payors = root.find("payor_orgs")
    assert payors is not None
    template = payors.findall("payor_org")[0]
    for n in range(3, esf.MAX_PAYORS + 2):
        extra = fromstring(tostring(template))
        extra.set("id", f"P{n}")
        payors.append(extra)
    with pytest.raises(
        esf.EsfInvalid, match=f"payor_org\\[{esf.MAX_PAYORS + 1}\\]: a submission goes to at most"
    ):
        esf.read(tostring(root), "v1")
    many = fromstring(ONE_PAYOR)
    fees = many.find("payor_orgs/payor_org/invoice/matters/matter/fees")
    assert fees is not None
    first = fees.findall("fee")[0]
    for _ in range(esf.MAX_LINES):
        fees.append(fromstring(tostring(first)))
    total = many.find("payor_orgs/payor_org/invoice/total_amount")
    assert total is not None
    total.text = str(Decimal("610.00") + Decimal("480.00") * esf.MAX_LINES)
    with pytest.raises(esf.EsfInvalid, match=f"at most {esf.MAX_LINES} fees and expenses"):
        esf.read(tostring(many), "v2")
