"""A practice's rule sets (Decoda's): made, edited, deleted, their rules listed; and a send switched to
another rule set, which picks its rule by the send's amount.

Edit follows Decoda's RuleUpdate: a rule named by its id is updated (what is given; a field left null is
kept), one without an id is added; a rule left out is kept (Decoda does not say it is deleted, and a
rule is deleted on its own operation). A rule's message, when it has one, must contain `{url}` and
`{first_name}` (checked by the contract's models, as the create's rule is).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from invoice_hub.dal.deliveries import DeliveryRepository
from invoice_hub.dal.queue_client import SendQueue
from invoice_hub.dal.rules import RuleSetRepository
from invoice_hub.domain.delivery import Delivery, Method, Plan
from invoice_hub.domain.errors import BusinessRuleViolation, IllegalTransition, NotFound
from invoice_hub.domain.rules import Rule, RuleSet
from invoice_hub.logic import delivery_states as states
from invoice_hub.logic.delivery_actions import apply
from invoice_hub.logic.outbox import dispatch


@dataclass(frozen=True)
class RuleDraft:
    """A rule as a request gives it; None: not given (an edit keeps what the rule has)."""

    name: str
    id: UUID | None = None
    delay_days: int | None = None
    methods: tuple[Method, ...] | None = None
    message: str | None = None
    amount_greater_than: int | None = None
    amount_less_than: int | None = None
    less_than_or_equal_to: int | None = None


@dataclass(frozen=True)
class RuleFilter:
    """`GET /billing/rule/list`'s filters (the issue's; Decoda's page lists none): a rule is kept when its
    bounds match those given, it has every method given, and it is of the rule set given."""

    amount_less_than: int | None = None
    amount_greater_than: int | None = None
    methods: tuple[Method, ...] = ()
    rule_set_id: UUID | None = None

    def keeps(self, rule: Rule) -> bool:
        return (
            (self.amount_less_than is None or rule.amount_less_than == self.amount_less_than)
            and (self.amount_greater_than is None or rule.amount_greater_than == self.amount_greater_than)
            and set(self.methods) <= set(rule.methods)
            and (self.rule_set_id is None or rule.rule_set_id == self.rule_set_id)
        )


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RuleSets:
    repo: RuleSetRepository
    clock: Callable[[], datetime] = field(default=_now)

    def create(
        self, tenant_id: UUID, name: str, description: str | None, rules: Sequence[RuleDraft]
    ) -> RuleSet:
        set_id = uuid4()
        made = RuleSet(
            id=set_id,
            tenant_id=tenant_id,
            name=name,
            description=description,
            rules=tuple(_new_rule(set_id, draft) for draft in rules),
            created_at=self.clock(),
        )
        self.repo.put(made)
        return made

    def edit(
        self,
        tenant_id: UUID,
        rule_set_id: UUID,
        name: str,
        description: str | None,
        rules: Sequence[RuleDraft],
    ) -> RuleSet:
        current = self.repo.get(tenant_id, rule_set_id)
        kept = {rule.id: rule for rule in current.rules}
        for draft in rules:
            if draft.id is None:
                added = _new_rule(rule_set_id, draft)
                kept[added.id] = added
            elif draft.id in kept:
                kept[draft.id] = _updated(kept[draft.id], draft)
            else:
                raise BusinessRuleViolation(f"the rule set has no rule {draft.id}", "rules")
        edited = current.model_copy(
            update={
                "name": name,
                "description": description,
                "rules": tuple(kept.values()),
                "updated_at": self.clock(),
                "version": current.version + 1,
            }
        )
        self.repo.put(edited, expected=current)
        return edited

    def rules(self, tenant_id: UUID, chosen: RuleFilter) -> list[Rule]:
        return [
            rule
            for rule_set in self.repo.of_tenant(tenant_id)
            for rule in rule_set.rules
            if chosen.keeps(rule)
        ]

    def delete_rule(self, tenant_id: UUID, rule_id: UUID) -> None:
        for rule_set in self.repo.of_tenant(tenant_id):
            if any(rule.id == rule_id for rule in rule_set.rules):
                left = tuple(rule for rule in rule_set.rules if rule.id != rule_id)
                self.repo.put(
                    rule_set.model_copy(
                        update={"rules": left, "updated_at": self.clock(), "version": rule_set.version + 1}
                    ),
                    expected=rule_set,
                )
                return
        raise NotFound("Rule not found")


def _new_rule(rule_set_id: UUID, draft: RuleDraft) -> Rule:
    if draft.delay_days is None or not draft.methods:
        raise BusinessRuleViolation("a new rule needs delayInDays and methods", "rules")
    return Rule(
        id=uuid4(),
        rule_set_id=rule_set_id,
        name=draft.name,
        delay_days=draft.delay_days,
        methods=draft.methods,
        message=draft.message,
        amount_greater_than=draft.amount_greater_than,
        amount_less_than=draft.amount_less_than,
        less_than_or_equal_to=draft.less_than_or_equal_to,
    )


def _updated(rule: Rule, draft: RuleDraft) -> Rule:
    given = {
        "name": draft.name,
        "delay_days": draft.delay_days,
        "methods": draft.methods or None,
        "message": draft.message,
        "amount_greater_than": draft.amount_greater_than,
        "amount_less_than": draft.amount_less_than,
        "less_than_or_equal_to": draft.less_than_or_equal_to,
    }
    return rule.model_copy(update={k: v for k, v in given.items() if v is not None})


def rule_details(rule: Rule) -> dict[str, object]:
    """The rule as a send keeps it (Decoda's RuleDetails)."""
    return {
        "id": str(rule.id),
        "name": rule.name,
        "methods": [str(m) for m in rule.methods],
        "delayInDays": rule.delay_days,
        "message": rule.message,
    }


def change_rule_set(
    deliveries: DeliveryRepository,
    queue: SendQueue,
    rule_set: RuleSet,
    ids: Sequence[UUID],
    day: timedelta,
) -> list[Delivery]:
    """Each named send switched to the rule set's rule for its amount, its first method `delayInDays`
    from now; all are read and checked before any is written."""
    now = datetime.now(UTC)
    current = [deliveries.get(rule_set.tenant_id, i) for i in dict.fromkeys(ids)]
    chosen: dict[UUID, Rule] = {}
    for delivery in current:
        if delivery.destination.kind != "patient_channel":
            raise IllegalTransition("only a send to a patient follows a rule set")
        rule = rule_set.rule_for(delivery.amount_cents)
        if rule is None:
            raise BusinessRuleViolation(
                f"no rule of the rule set is for an invoice of {delivery.amount_cents} cents", "ruleSetId"
            )
        chosen[delivery.id] = rule
        _follow(delivery, now, rule_set, rule, day)  # raises IllegalTransition before any write
    changed = [
        apply(deliveries, delivery, lambda d: _follow(d, now, rule_set, chosen[d.id], day))
        for delivery in current
    ]
    dispatch(queue, changed, now)
    return changed


def _follow(delivery: Delivery, now: datetime, rule_set: RuleSet, rule: Rule, day: timedelta) -> Delivery:
    plan = Plan(methods=rule.methods, delay_seconds=int(rule.delay_days * day.total_seconds()))
    return states.following(
        delivery,
        now,
        plan,
        rule_details(rule),
        rule.message,
        rule_set.id,
        send_time=now + rule.delay_days * day,
    )
