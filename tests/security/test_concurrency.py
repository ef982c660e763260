"""Concurrent updates of one invoice over real HTTP: two writers on the same version, sent at the same
moment, round after round. With If-Match, one wins (200) and the other gets 412; without it, the loser
of the conditional write gets 409 (or both win one after the other). Either way the invoice then holds
one writer's request entirely — every field of it, none of the other's."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import Practice, invoice_body
from tests.report import tried
from tests.security.conftest import at_once

pytestmark = pytest.mark.e2e
SUITE = "concurrency"
ROUNDS_WITH_IF_MATCH = 10
ROUNDS_WITHOUT = 5
#: the fields a writer sets, compared after the race
FIELDS = (
    "external_id",
    "patient_id",
    "appointment_id",
    "due_date",
    "discount_amount",
    "discount_percent",
    "tags",
)


def writer(name: str, round_: int) -> dict[str, Any]:
    """A full replacement whose every field differs from any other writer's."""
    n = 2 * round_ + (0 if name == "a" else 1)
    return invoice_body(
        external_id=f"{name}-{round_}-{uuid.uuid4().hex[:6]}",
        patient_id=str(uuid.uuid4()),
        appointment_id=str(uuid.uuid4()),
        due_date=f"2027-{1 + n % 12:02d}-{1 + n % 28:02d}T00:00:00Z",
        discount_amount=n,
        discount_percent=n % 50,
        tags=[f"{name}-tag-{round_}", f"{name}-extra-{round_}"],
        items=[
            {
                "description": f"{name} item {round_}",
                "code": f"{name}{round_}",
                "quantity": 1 + n,
                "unit_price": 500,
            },
            {"description": f"{name} second {round_}", "unit_price": 7 + n},
        ],
    )


def holds(invoice: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether the stored invoice is exactly this request's write (fields and items)."""
    same_fields = all(_norm(invoice[f]) == _norm(body[f]) for f in FIELDS)
    items = [
        (i["description"], i.get("code"), Decimal(str(i["quantity"])), Decimal(str(i["unit_price"])))
        for i in invoice["items"]
    ]
    wanted = [
        (i["description"], i.get("code"), Decimal(str(i.get("quantity", 1))), Decimal(str(i["unit_price"])))
        for i in body["items"]
    ]
    return same_fields and items == wanted


def shares_anything(invoice: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether any field of this request shows in the stored invoice."""
    texts = {str(invoice[f]) for f in ("external_id", "patient_id", "appointment_id")}
    texts |= set(invoice["tags"]) | {i["description"] for i in invoice["items"]}
    theirs = {str(body[f]) for f in ("external_id", "patient_id", "appointment_id")}
    theirs |= set(body["tags"]) | {i["description"] for i in body["items"]}
    return bool(texts & theirs)


def _norm(value: Any) -> Any:
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str) and value.endswith("Z"):
        return value.removesuffix("Z").removesuffix(".000").replace("+00:00", "")
    return value


def test_two_writers_on_one_version_one_wins_entirely(http: httpx.Client, practice: Practice) -> None:
    created = http.post("/invoice/", json=invoice_body(), headers=practice.headers)
    assert created.status_code == 201, created.text
    url = f"/invoice/{created.json()['id']}"
    etag = created.headers["ETag"]
    outcomes: list[tuple[int, int]] = []

    for round_ in range(ROUNDS_WITH_IF_MATCH):
        bodies = {"a": writer("a", round_), "b": writer("b", round_)}
        headers = {**practice.headers, "If-Match": etag}
        answers = at_once([lambda b=b, h=headers: http.put(url, json=b, headers=h) for b in bodies.values()])

        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200, 412], [r.text for r in answers]
        winner, loser = ("a", "b") if answers[0].status_code == 200 else ("b", "a")
        won = answers[0] if winner == "a" else answers[1]
        stored = http.get(url, headers=practice.headers)
        assert stored.json() == won.json()
        assert stored.headers["ETag"] == won.headers["ETag"] == f'"{round_ + 2}"'
        assert holds(stored.json(), bodies[winner])
        assert not shares_anything(stored.json(), bodies[loser])
        outcomes.append((200, 412))
        etag = stored.headers["ETag"]

    last_writes: list[str] = []
    for round_ in range(ROUNDS_WITHOUT):
        bodies = {"a": writer("a", 100 + round_), "b": writer("b", 100 + round_)}
        answers = at_once(
            [lambda b=b: http.put(url, json=b, headers=practice.headers) for b in bodies.values()]
        )
        statuses = sorted(r.status_code for r in answers)
        assert statuses in ([200, 200], [200, 409]), [r.text for r in answers]
        stored = http.get(url, headers=practice.headers).json()
        matching = [name for name, body in bodies.items() if holds(stored, body)]
        assert len(matching) == 1, "the invoice holds exactly one writer's request"
        other = "b" if matching[0] == "a" else "a"
        assert not shares_anything(stored, bodies[other])
        last_writes.append("/".join(str(s) for s in statuses))

    tried(
        SUITE,
        f"{ROUNDS_WITH_IF_MATCH} rounds of 2 concurrent PUTs with one If-Match: {len(outcomes)}x one 200 +"
        f" one 412, the winner's {len(FIELDS)} fields and items stored entirely, none of the loser's;"
        f" {ROUNDS_WITHOUT} rounds without If-Match: {', '.join(last_writes)}, never a mix",
    )


def test_an_update_racing_a_delete_never_brings_the_invoice_back(
    http: httpx.Client, practice: Practice
) -> None:
    """DELETE and PUT of one draft at the same moment: if the delete answered 204, the invoice is gone
    for good (the update was refused); otherwise the update holds."""
    outcomes: dict[str, int] = {}
    for round_ in range(ROUNDS_WITHOUT * 2):
        created = http.post("/invoice/", json=invoice_body(), headers=practice.headers)
        url = f"/invoice/{created.json()['id']}"
        body = writer("a", round_)
        deleted, updated = at_once(
            [
                lambda u=url: http.delete(u, headers=practice.headers),
                lambda u=url, b=body: http.put(u, json=b, headers=practice.headers),
            ]
        )
        stored = http.get(url, headers=practice.headers)
        if deleted.status_code == 204:
            assert stored.status_code == 404, "a deleted invoice came back"
            assert updated.status_code in (200, 404, 409), updated.text  # before the delete, or refused
        else:
            assert deleted.status_code in (404, 409), deleted.text
            assert (updated.status_code, stored.status_code) == (200, 200)
            assert holds(stored.json(), body)
        key = f"DELETE {deleted.status_code} / PUT {updated.status_code}"
        outcomes[key] = outcomes.get(key, 0) + 1
    tried(
        SUITE,
        f"{ROUNDS_WITHOUT * 2} rounds of DELETE racing PUT on a draft: "
        + ", ".join(f"{n}x {k}" for k, n in sorted(outcomes.items()))
        + "; a deleted invoice never came back",
    )
