"""eSF invoices as Hypothesis makes them, for the fuzz suite's `application/xml` bodies: documents the
published field tables allow (one to three payor orgs billing the same invoice, matters with fees and
expenses whose amounts add up to the total, the optional elements there or not, attachments to come or
not), which the Submission API must take, each with an invoice id of its own."""

from __future__ import annotations

from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

from hypothesis import strategies as st

CODES = st.sampled_from(["99213", "99214", "97110", "93306", "E124"])
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=40).map(str.strip).filter(bool)
DAYS = st.integers(min_value=1, max_value=28)


def _add(parent: Element, name: str, text: str) -> Element:
    child = SubElement(parent, name)
    child.text = text
    return child


@st.composite
def _item(draw: st.DrawFn, kind: str, position: int) -> tuple[dict[str, str], Decimal]:
    quantity = Decimal(draw(st.integers(min_value=0, max_value=40))) / 4
    rate = Decimal(draw(st.integers(min_value=0, max_value=100_000))) / 100
    fixed = quantity == 0 or draw(st.booleans())
    amount = Decimal(draw(st.integers(min_value=0, max_value=500_000))) / 100 if fixed else quantity * rate
    fields = {
        "id": str(position),
        "hours" if kind == "fee" else "quantity": str(quantity),
        "rate": f"{rate:.2f}",
        "amount": f"{amount:.2f}",
        "description": draw(WORDS),
    }
    if draw(st.booleans()):
        fields["activity_code" if kind == "fee" else "code"] = draw(CODES)
    return fields, amount.quantize(Decimal("0.01"))


ORDER = (
    "id",
    "date",
    "timekeeper_id",
    "activity_code",
    "code",
    "hours",
    "quantity",
    "rate",
    "amount",
    "description",
)


@st.composite
def _invoice(draw: st.DrawFn, invoice_id: str) -> Element:
    invoice = Element("invoice", {"has_attachments": draw(st.sampled_from(["false", "true"]))})
    _add(invoice, "id", invoice_id)
    day = draw(DAYS)
    _add(invoice, "date", f"2026-11-{day:02d}")
    if draw(st.booleans()):
        _add(invoice, "start_date", "2026-10-01")
        _add(invoice, "end_date", "2026-10-31")
    _add(invoice, "currency", "USD")
    total = Element("total_amount")
    invoice.append(total)
    matters = SubElement(invoice, "matters")
    sum_ = Decimal(0)
    for m in range(draw(st.integers(min_value=1, max_value=2))):
        matter = SubElement(matters, "matter")
        _add(matter, "biller_org_matter_id", f"M-{m + 1}")
        for kind, group in (("fee", "fees"), ("expense", "expenses")):
            count = draw(st.integers(min_value=1 if kind == "fee" else 0, max_value=3))
            if not count:
                continue
            parent = SubElement(matter, group)
            for position in range(1, count + 1):
                fields, amount = draw(_item(kind, position))
                sum_ += amount
                item = SubElement(parent, kind)
                for name in ORDER:
                    if name in fields:
                        _add(item, name, fields[name])
    total.text = f"{sum_:.2f}"
    return invoice


@st.composite
def esf_documents(draw: st.DrawFn) -> bytes:
    """An eSF document (v2.0.2 and v3.1.2 alike: at most one document-level tax) with a fresh invoice id."""
    invoice_id = f"FZ-{draw(st.uuids()).hex[:16]}"
    root = Element("esfdoc")
    billing = SubElement(root, "billing_org", {"id": "FUZZ-FIRM", "ebilling_id": "9001"})
    _add(billing, "name", "Fuzz Medical Group")
    payors = SubElement(root, "payor_orgs")
    invoice = draw(_invoice(invoice_id))
    for n in range(draw(st.integers(min_value=1, max_value=3))):
        payor = SubElement(payors, "payor_org", {"id": f"P{n + 1}", "ebilling_id": f"E{n + 1}"})
        if draw(st.booleans()):
            _add(payor, "name", draw(WORDS))
        payor.append(invoice)  # the same invoice to each: one element, serialized under each payor org
    if draw(st.booleans()):
        SubElement(SubElement(root, "taxes"), "tax")
    return b'<?xml version="1.0" encoding="UTF-8"?>' + tostring(root)
