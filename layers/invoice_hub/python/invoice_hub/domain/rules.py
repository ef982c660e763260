"""A practice's sending rules, grouped in rule sets (Decoda's): each rule says which methods a send goes
by, how many days apart, with which message, for which amounts. A rule set picks its rule by the
invoice's amount: the first, by delay, whose bounds hold it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from invoice_hub.domain.delivery import Method
from invoice_hub.domain.record import Record

#: the placeholders a rule's message must have (Decoda requires both)
REQUIRED_PLACEHOLDERS = ("{url}", "{first_name}")


def missing_placeholders(message: str) -> list[str]:
    return [name for name in REQUIRED_PLACEHOLDERS if name not in message]


class Rule(Record):
    id: UUID
    rule_set_id: UUID
    name: str
    delay_days: int = Field(ge=0)
    methods: tuple[Method, ...]
    message: str | None = None
    amount_greater_than: int | None = None  # cents, exclusive
    amount_less_than: int | None = None  # cents, exclusive
    less_than_or_equal_to: int | None = None  # cents, inclusive

    def holds(self, cents: int) -> bool:
        return (
            (self.amount_greater_than is None or cents > self.amount_greater_than)
            and (self.amount_less_than is None or cents < self.amount_less_than)
            and (self.less_than_or_equal_to is None or cents <= self.less_than_or_equal_to)
        )


class RuleSet(Record):
    id: UUID
    tenant_id: UUID
    name: str
    description: str | None = None
    rules: tuple[Rule, ...] = ()
    created_at: datetime
    updated_at: datetime | None = None
    version: int = 1

    def rule_for(self, cents: int) -> Rule | None:
        """The rule for an invoice of this amount: the first, by delay, that holds it."""
        held = [rule for rule in self.rules if rule.holds(cents)]
        return min(held, key=lambda rule: rule.delay_days) if held else None
