"""Money and the invoice life cycle: the domain rules, with no network."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoice_hub.domain.errors import BusinessRuleViolation, IllegalTransition
from invoice_hub.domain.invoice import Charges, Invoice, InvoiceStatus, LineItem, next_status

S = InvoiceStatus
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def item(unit_price: str, quantity: str = "1", description: str = "Consultation") -> LineItem:
    return LineItem(
        id=uuid.uuid4(), description=description, quantity=Decimal(quantity), unit_price=Decimal(unit_price)
    )


def invoice(status: InvoiceStatus, charges: Charges) -> Invoice:
    return Invoice(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        reg_number="INV-000001",
        patient_id=uuid.uuid4(),
        issue_date=NOW,
        status=status,
        charges=charges,
        created_at=NOW,
        updated_at=NOW,
    )


def test_totals_follow_the_design_formula() -> None:
    charges = Charges(
        items=(item("120.50", "2"), item("10.00")),
        discount_amount=Decimal("1.00"),
        discount_percent=Decimal("10"),
        paid_amount=Decimal("50.00"),
    )
    assert charges.subtotal == Decimal("251.00")
    # 251 - 1 - 25.10
    assert charges.total_amount == Decimal("224.90")
    assert charges.remaining_amount == Decimal("174.90")


def test_amounts_round_half_up_to_cents() -> None:
    assert item("0.125", "1").amount == Decimal("0.13")
    assert item("10.00", "0.333").amount == Decimal("3.33")
    charges = Charges(items=(item("0.05"),), discount_percent=Decimal("50"))
    assert charges.total_amount == Decimal("0.03")  # 0.025 rounds up


def test_total_is_never_negative() -> None:
    charges = Charges(items=(item("10.00"),), discount_amount=Decimal("25.00"))
    assert charges.total_amount == Decimal("0.00")


money = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999.99"), places=2)


@given(
    prices=st.lists(money, max_size=6),
    discount=money,
    percent=st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
)
def test_totals_are_cents_and_bounded(prices: list[Decimal], discount: Decimal, percent: Decimal) -> None:
    charges = Charges(
        items=tuple(item(str(p)) for p in prices), discount_amount=discount, discount_percent=percent
    )
    assert Decimal("0") <= charges.total_amount <= charges.subtotal
    assert charges.total_amount == charges.total_amount.quantize(Decimal("0.01"))
    assert charges.remaining_amount == charges.total_amount - charges.paid_amount


@pytest.mark.parametrize(
    ("before", "requested", "paid", "expected"),
    [
        (None, S.DRAFT, "0", S.DRAFT),
        (None, S.ISSUED, "0", S.ISSUED),
        (None, S.ISSUED, "40", S.PARTIALY_PAID),
        (S.DRAFT, S.ISSUED, "0", S.ISSUED),
        (S.DRAFT, S.VOID, "0", S.VOID),
        (S.ISSUED, S.ISSUED, "100", S.PAID),
        (S.ISSUED, S.PARTIALY_PAID, "40", S.PARTIALY_PAID),
        (S.ISSUED, S.WRITTEN_OFF, "0", S.WRITTEN_OFF),
        (S.PARTIALY_PAID, S.PAID, "100", S.PAID),
        (S.PARTIALY_PAID, S.VOID, "40", S.VOID),
        (S.PARTIALY_PAID, S.WRITTEN_OFF, "40", S.WRITTEN_OFF),
        (S.PARTIALY_PAID, S.ISSUED, "0", S.ISSUED),  # a payment reversed
    ],
)
def test_allowed_transitions(
    before: InvoiceStatus | None, requested: InvoiceStatus, paid: str, expected: InvoiceStatus
) -> None:
    charges = Charges(items=(item("100.00"),), paid_amount=Decimal(paid))
    paid_before = Decimal(40) if before is S.PARTIALY_PAID else Decimal(0)
    current = invoice(before, Charges(items=charges.items, paid_amount=paid_before)) if before else None
    assert next_status(current, requested, charges) is expected


@pytest.mark.parametrize(
    ("before", "requested", "paid", "message"),
    [
        (None, S.VOID, "0", "cannot be created as VOID"),
        (None, S.WRITTEN_OFF, "0", "cannot be created as WRITTEN_OFF"),
        (S.DRAFT, S.WRITTEN_OFF, "0", "from DRAFT to WRITTEN_OFF"),
        (S.ISSUED, S.DRAFT, "0", "from ISSUED to DRAFT"),
        (S.PAID, S.VOID, "100", "from PAID to VOID"),
        (S.VOID, S.ISSUED, "0", "from VOID to ISSUED"),
        (S.WRITTEN_OFF, S.ISSUED, "0", "from WRITTEN_OFF to ISSUED"),
        (S.ISSUED, S.PAID, "40", "set by payments"),
        (S.ISSUED, S.PARTIALY_PAID, "0", "set by payments"),
        (S.DRAFT, S.DRAFT, "10", "only on an issued invoice"),
    ],
)
def test_illegal_transitions_are_refused_with_a_reason(
    before: InvoiceStatus | None, requested: InvoiceStatus, paid: str, message: str
) -> None:
    charges = Charges(items=(item("100.00"),), paid_amount=Decimal(paid))
    current = invoice(before, charges) if before else None
    with pytest.raises(IllegalTransition, match=message):
        next_status(current, requested, charges)


def test_overpayment_is_a_validation_error_on_paid_amount() -> None:
    charges = Charges(items=(item("100.00"),), paid_amount=Decimal("100.01"))
    with pytest.raises(BusinessRuleViolation) as raised:
        next_status(None, S.ISSUED, charges)
    assert raised.value.field == "paid_amount"


def test_items_are_fixed_once_issued() -> None:
    current = invoice(S.ISSUED, Charges(items=(item("100.00"),)))
    changed = Charges(items=(item("90.00"),))
    with pytest.raises(IllegalTransition, match="cannot change once an invoice is ISSUED"):
        next_status(current, S.ISSUED, changed)
    same_lines_new_ids = Charges(items=(item("100.00"),), paid_amount=Decimal("20"))
    assert next_status(current, S.ISSUED, same_lines_new_ids) is S.PARTIALY_PAID


def test_payments_are_fixed_once_terminal() -> None:
    current = invoice(S.VOID, Charges(items=(item("100.00"),), paid_amount=Decimal("10")))
    with pytest.raises(IllegalTransition, match="payments cannot change once an invoice is VOID"):
        next_status(current, S.VOID, Charges(items=(item("100.00"),), paid_amount=Decimal("20")))


def test_integer_cents_for_contracts_that_count_in_cents() -> None:
    from invoice_hub.domain.money import as_integer_cents

    assert as_integer_cents(Decimal("216.905")) == 21691
    assert as_integer_cents(Decimal("0")) == 0
