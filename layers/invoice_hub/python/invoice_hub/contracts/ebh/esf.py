"""eBillingHub's e-Billing Standard Format (eSF), as its Submission API takes it: v2.0.2 on `v1`, v3.1.2
on `v2` (developer portal, "e-Billing Standard Format (eSF) - Documentation and usage by API").

The document is read with defusedxml: a DTD, an entity declaration or an external reference is refused
before anything is expanded or fetched, so an XML bomb or an XXE costs a parse of its first lines and
reads nothing. The schema below is the field tables' as far as Elite publishes them (docs/ebh.md says
which rows are the published ones and which follow eBillingHub's own field definitions where the tables
could not be read); a document that breaks it is refused with the path of the first element at fault,
e.g. `esfdoc/payor_orgs/payor_org[2]/invoice/id: required element missing`.

Elements are matched by local name, with or without a namespace; elements the schema does not name
(extended fields, a client's extensions) are allowed and ignored, as eSF's `extended_fields` invites.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from invoice_hub.domain.delivery import Matter
from invoice_hub.domain.invoice import LineDraft
from invoice_hub.domain.money import to_cents
from invoice_hub.logic.payer_submissions import Payer

#: the eSF version each API version takes
VERSIONS = {"v1": "2.0.2", "v2": "3.1.2"}
UNBOUNDED = 10_000
#: eSF's string60NoSpace (the Submission API's invoice id) and string60 (its matter ids)
_NO_SPACE = re.compile(r"\S+")
MAX_AMOUNT = Decimal("999999999.99")


class EsfInvalid(ValueError):
    """The document is not an eSF invoice the Submission API takes; `path` names the element at fault."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


# -- value types -----------------------------------------------------------------------------------
def _string(limit: int | None = None, no_space: bool = False) -> Callable[[str], str]:
    def read(text: str) -> str:
        value = text.strip()
        if not value:
            raise ValueError("must not be empty")
        if limit is not None and len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        if no_space and not _NO_SPACE.fullmatch(value):
            raise ValueError("must not contain spaces")
        return value

    return read


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise ValueError("must be an xs:date (YYYY-MM-DD)") from error


def _datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ValueError("must be an xs:dateTime (YYYY-MM-DDThh:mm:ss)") from error


def _decimal(minimum: Decimal = Decimal(0)) -> Callable[[str], Decimal]:
    def read(text: str) -> Decimal:
        try:
            value = Decimal(text.strip())
        except InvalidOperation as error:
            raise ValueError("must be an xs:decimal") from error
        if not value.is_finite() or value < minimum or value > MAX_AMOUNT:
            raise ValueError(f"must be a decimal from {minimum} to {MAX_AMOUNT}")
        return value

    return read


def _boolean(text: str) -> bool:
    value = text.strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValueError("must be an xs:boolean (true or false)")


def _currency(text: str) -> str:
    value = text.strip()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("must be an ISO 4217 code (3 capital letters)")
    return value


TEXT = _string(500)
ID = _string(60)


# -- the schema ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    """A segment or element of eSF: how often it occurs under its parent, its attributes (name -> (required,
    type)), its value's type (a simple element) or its children (a segment)."""

    name: str
    occurs: tuple[int, int] = (1, 1)
    value: Callable[[str], Any] | None = None
    attributes: dict[str, tuple[bool, Callable[[str], Any]]] = field(default_factory=dict)
    children: tuple[Node, ...] = ()


def _element(name: str, value: Callable[[str], Any], occurs: tuple[int, int] = (1, 1)) -> Node:
    return Node(name, occurs, value)


FEE = Node(
    "fee",
    (0, UNBOUNDED),
    children=(
        _element("id", ID),
        _element("date", _date, (0, 1)),
        _element("timekeeper_id", ID, (0, 1)),
        _element("activity_code", ID, (0, 1)),
        _element("task_code", ID, (0, 1)),
        _element("hours", _decimal()),
        _element("rate", _decimal()),
        _element("amount", _decimal()),
        _element("description", TEXT),
    ),
)
EXPENSE = Node(
    "expense",
    (0, UNBOUNDED),
    children=(
        _element("id", ID),
        _element("date", _date, (0, 1)),
        _element("timekeeper_id", ID, (0, 1)),
        _element("code", ID, (0, 1)),
        _element("quantity", _decimal()),
        _element("rate", _decimal()),
        _element("amount", _decimal()),
        _element("description", TEXT),
    ),
)
MATTER = Node(
    "matter",
    (1, UNBOUNDED),
    children=(
        _element("payor_org_matter_id", ID, (0, 1)),
        _element("biller_org_matter_id", ID),
        _element("description", TEXT, (0, 1)),
        Node("fees", (0, 1), children=(FEE,)),
        Node("expenses", (0, 1), children=(EXPENSE,)),
    ),
)
INVOICE = Node(
    "invoice",
    attributes={"has_attachments": (False, _boolean)},
    children=(
        _element("id", _string(60, no_space=True)),
        _element("date", _date),
        _element("start_date", _date, (0, 1)),
        _element("end_date", _date, (0, 1)),
        _element("description", TEXT, (0, 1)),
        _element("currency", _currency, (0, 1)),
        _element("total_amount", _decimal(), (0, 1)),
        Node("matters", children=(MATTER,)),
    ),
)
_ORG_ATTRIBUTES = {"node_id": (False, TEXT), "id": (True, ID), "ebilling_id": (True, ID)}


def schema(version: str) -> Node:
    """The eSF document the Submission API of `version` (v1, v2) takes. v2.0.2 and v3.1.2 differ, in
    the rows published, in how many document-level taxes they allow."""
    taxes = (0, UNBOUNDED) if VERSIONS[version] == "2.0.2" else (0, 1)
    return Node(
        "esfdoc",
        children=(
            _element("timestamp", _datetime, (0, 1)),
            Node(
                "billing_org",
                attributes=_ORG_ATTRIBUTES,
                children=(
                    _element("name", TEXT),
                    _element("source_app", TEXT, (0, 1)),
                    _element("app_version", TEXT, (0, 1)),
                ),
            ),
            Node(
                "payor_orgs",
                children=(
                    Node(
                        "payor_org",
                        (1, UNBOUNDED),
                        attributes=_ORG_ATTRIBUTES,
                        children=(_element("name", TEXT, (0, 1)), INVOICE),
                    ),
                ),
            ),
            Node("taxes", (0, 1), children=(Node("tax", taxes),)),
        ),
    )


# -- reading ---------------------------------------------------------------------------------------
def local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


#: this service's bounds, the JSON submission's too (one transaction writes a send per payor; the invoice
#: item holds its lines)
MAX_PAYORS = 20
MAX_LINES = 200
#: no eSF element is nested deeper than this (esfdoc/payor_orgs/payor_org/invoice/matters/matter/fees/
#: fee/... is 9): a document nested deeper is refused as it is read, before a deep tree is built
MAX_DEPTH = 32


def parse(body: bytes) -> Element:
    """The document's root, read with DTDs, entities and external references refused, and no deeper than
    MAX_DEPTH."""
    try:
        parser = DefusedXMLParser(
            target=_Bounded(MAX_DEPTH), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        parser.feed(body)
        root: Element = parser.close()
    except EsfInvalid:
        raise  # too deep
    except DefusedXmlException as error:
        raise EsfInvalid("", "the invoice may not declare a DTD, entities or external references") from error
    except (LookupError, ValueError) as error:  # an encoding the declaration names that cannot be read
        raise EsfInvalid("", "the invoice's encoding is not one this service reads (use UTF-8)") from error
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise EsfInvalid("", f"the invoice is not well-formed XML (line {line}, column {column})") from error
    return root


class _Bounded(TreeBuilder):
    """The tree of a document, refused as soon as it nests deeper than `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.depth = 0

    def start(self, tag: Any, attrs: dict[Any, Any], /) -> Element:
        self.depth += 1
        if self.depth > self.limit:
            raise EsfInvalid("", f"the invoice nests elements deeper than {self.limit} levels")
        return super().start(tag, attrs)

    def end(self, tag: Any, /) -> Element:
        self.depth -= 1
        return super().end(tag)


def check(element: Element, node: Node, path: str) -> None:
    """Raises EsfInvalid at the first place `element` breaks `node`."""
    for name, (required, read) in node.attributes.items():
        text = element.get(name)
        if text is None:
            if required:
                raise EsfInvalid(f"{path}/@{name}", "required attribute missing")
            continue
        try:
            read(text)
        except ValueError as error:
            raise EsfInvalid(f"{path}/@{name}", str(error)) from None
    if node.value is not None:
        if len(element):
            raise EsfInvalid(path, "must be a simple element (text, no children)")
        try:
            node.value(element.text or "")
        except ValueError as error:
            raise EsfInvalid(path, str(error)) from None
        return
    for child in node.children:
        found = [e for e in element if local(e.tag) == child.name]
        low, high = child.occurs
        if len(found) < low:
            raise EsfInvalid(f"{path}/{child.name}", "required element missing")
        if len(found) > high:
            raise EsfInvalid(f"{path}/{child.name}", f"may occur at most {high} time(s) here")
        for position, each in enumerate(found, start=1):
            check(each, child, f"{path}/{child.name}" + (f"[{position}]" if high > 1 else ""))


# -- what it submits -------------------------------------------------------------------------------
@dataclass(frozen=True)
class EsfInvoice:
    """What a valid eSF document submits: one invoice (the billing organisation's id, date, lines from
    its matters' fees and expenses) to one or more payor orgs."""

    invoice_id: str
    invoice_date: date
    lines: tuple[LineDraft, ...]
    payors: tuple[Payer, ...]
    matters: tuple[Matter, ...]
    has_attachments: bool
    period_start: date | None
    period_end: date | None
    billing_org_id: str
    billing_org_ebilling_id: str


def _child(element: Element, name: str) -> Element | None:
    return next((e for e in element if local(e.tag) == name), None)


def _children(element: Element, *names: str) -> Iterator[Element]:
    """The elements at the end of a path of local names (each step any number of them)."""
    if not names:
        yield element
        return
    for child in element:
        if local(child.tag) == names[0]:
            yield from _children(child, *names[1:])


def _required(element: Element, name: str, path: str) -> Element:
    found = _child(element, name)
    if found is None:
        raise EsfInvalid(f"{path}/{name}", "required element missing")
    return found


def _text(element: Element, name: str) -> str | None:
    found = _child(element, name)
    return (found.text or "").strip() if found is not None else None


def _line(item: Element, kind: Literal["fee", "expense"]) -> LineDraft:
    """A fee (hours at a rate) or an expense (a quantity at a rate) as a line; a fixed amount that is not
    the product of the two is one unit of that amount, so the line's total is the document's."""
    quantity = Decimal(_text(item, "hours" if kind == "fee" else "quantity") or "0")
    rate = Decimal(_text(item, "rate") or "0")
    amount = Decimal(_text(item, "amount") or "0")
    code = _text(item, "activity_code" if kind == "fee" else "code") or (
        _text(item, "task_code") if kind == "fee" else None
    )
    if quantity > 0 and to_cents(quantity * rate) == to_cents(amount):
        return LineDraft(
            description=_text(item, "description") or "", unit_price=rate, quantity=quantity, code=code
        )
    return LineDraft(
        description=_text(item, "description") or "", unit_price=amount, quantity=Decimal(1), code=code
    )


@dataclass(frozen=True)
class _Content:
    """What one payor org's invoice bills (each payor org's must be the same)."""

    invoice_id: str
    invoice_date: date
    lines: tuple[LineDraft, ...]
    matters: tuple[Matter, ...]
    period: tuple[date | None, date | None]


def _optional_date(element: Element, name: str) -> date | None:
    text = _text(element, name)
    return _date(text) if text else None


def _invoice_content(invoice: Element) -> _Content:
    lines: list[LineDraft] = []
    matters: list[Matter] = []
    for matter in _children(invoice, "matters", "matter"):
        matters.append(
            Matter(id=_text(matter, "biller_org_matter_id") or "", description=_text(matter, "description"))
        )
        lines.extend(_line(fee, "fee") for fee in _children(matter, "fees", "fee"))
        lines.extend(_line(expense, "expense") for expense in _children(matter, "expenses", "expense"))
    return _Content(
        invoice_id=_text(invoice, "id") or "",
        invoice_date=_date(_text(invoice, "date") or ""),
        lines=tuple(lines),
        matters=tuple(matters),
        period=(_optional_date(invoice, "start_date"), _optional_date(invoice, "end_date")),
    )


def read(body: bytes, version: str) -> EsfInvoice:
    """The invoice an eSF document of the API `version` submits, or EsfInvalid naming the element at fault.

    Beyond the schema: each matter bills at least one fee or expense, an invoice's `total_amount` (when
    given) is the sum of their amounts, each payor org appears once, and every payor org's invoice is the
    same invoice (one submission is one invoice to one or more payors: a document of different invoices
    is submitted as one document per invoice)."""
    root = parse(body)
    if local(root.tag) != "esfdoc":
        raise EsfInvalid(local(root.tag) or "?", "the root element must be esfdoc")
    check(root, schema(version), "esfdoc")
    payors: list[Payer] = []
    first: _Content | None = None
    has_attachments = False
    for position, payor in enumerate(_children(root, "payor_orgs", "payor_org"), start=1):
        path = f"esfdoc/payor_orgs/payor_org[{position}]"
        entry = Payer(
            org_id=str(payor.get("id")).strip(),
            ebilling_id=str(payor.get("ebilling_id")).strip(),
            name=_text(payor, "name") or None,
        )
        if any(p.org_id == entry.org_id for p in payors):
            raise EsfInvalid(f"{path}/@id", "each payor org may appear once in a submission")
        if position > MAX_PAYORS:
            raise EsfInvalid(path, f"a submission goes to at most {MAX_PAYORS} payor orgs")
        payors.append(entry)
        invoice = _required(payor, "invoice", path)
        _check_amounts(invoice, f"{path}/invoice")
        content = _invoice_content(invoice)
        if first is None:
            first = content
        elif content != first:
            raise EsfInvalid(
                f"{path}/invoice",
                "differs from payor_org[1]'s invoice: one submission is one invoice to its payor orgs",
            )
        has_attachments = has_attachments or _boolean(invoice.get("has_attachments") or "false")
    if first is None:
        raise EsfInvalid("esfdoc/payor_orgs/payor_org", "required element missing")
    if len(first.lines) > MAX_LINES:
        raise EsfInvalid(
            "esfdoc/payor_orgs/payor_org[1]/invoice/matters",
            f"an invoice bills at most {MAX_LINES} fees and expenses",
        )
    billing = _required(root, "billing_org", "esfdoc")
    return EsfInvoice(
        invoice_id=first.invoice_id,
        invoice_date=first.invoice_date,
        lines=first.lines,
        payors=tuple(payors),
        matters=first.matters,
        has_attachments=has_attachments,
        period_start=first.period[0],
        period_end=first.period[1],
        billing_org_id=str(billing.get("id")).strip(),
        billing_org_ebilling_id=str(billing.get("ebilling_id")).strip(),
    )


def _check_amounts(invoice: Element, path: str) -> None:
    total = Decimal(0)
    for position, matter in enumerate(_children(invoice, "matters", "matter"), start=1):
        items = [*_children(matter, "fees", "fee"), *_children(matter, "expenses", "expense")]
        if not items:
            raise EsfInvalid(f"{path}/matters/matter[{position}]", "bills no fee and no expense")
        total += sum((Decimal(_text(item, "amount") or "0") for item in items), Decimal(0))
    stated = _text(invoice, "total_amount")
    if stated is not None and to_cents(Decimal(stated)) != to_cents(total):
        raise EsfInvalid(f"{path}/total_amount", f"is {stated}, but its fees and expenses sum to {total}")
