"""The rest of Decoda's invoice operations over HTTP: changing how and when the next send goes, writing an
invoice off or sending it to collections, rule sets and their rules, switching a send's rule set, and the
invoice table with its statuses (Will Fail found before the send time)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Practice
from tests.e2e.test_channels_http import a_patient, bill, invoices_of
from tests.e2e.test_rules_http import MESSAGE, read, until, with_rule
from tests.polling import wait_for

pytestmark = pytest.mark.e2e
ACTION = "/billing/invoice/execute-action"


def later(hours: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def a_waiting_send(
    http: httpx.Client, practice: Practice, patient: str | None = None, **rule: Any
) -> dict[str, Any]:
    """A send planned a day of the rule from now (5 s locally: the tests then move it out of reach)."""
    return with_rule(http, practice, patient or a_patient(http, practice), rule.get("methods", ["SMS"]), 365)


def act(http: httpx.Client, practice: Practice, ids: list[str], action: str, **extra: Any) -> httpx.Response:
    return http.put(
        ACTION, json={"invoiceSetIds": ids, "actionType": action, **extra}, headers=practice.decoda_headers
    )


# -- PUT /billing/invoice/{invoice_id} ---------------------------------------------------------------------
def test_update_changes_how_and_when_the_next_send_goes(http: httpx.Client, practice: Practice) -> None:
    send = a_waiting_send(http, practice)
    url = f"/billing/invoice/{send['id']}"
    moved = http.put(url, json={"method": "EMAIL", "sendTime": later(2)}, headers=practice.decoda_headers)
    assert (moved.status_code, moved.json()) == (200, True)
    got = read(http, practice, send["id"])
    assert (got["status"], got["method"]) == ("PENDING", "EMAIL")
    assert datetime.fromisoformat(got["sendTime"]) > datetime.now(UTC) + timedelta(minutes=100)

    now = http.put(
        url,
        json={"method": "EMAIL", "sendTime": datetime.now(UTC).isoformat()},
        headers=practice.decoda_headers,
    )
    assert now.json() is True
    done = until(http, practice, send["id"], status="SENT")
    assert done["methodsAttempted"] == ["EMAIL"]
    again = http.put(url, json={"method": "SMS"}, headers=practice.decoda_headers)
    assert again.status_code == 409  # sent: no next send to change


def test_update_refuses_an_unknown_method(http: httpx.Client, practice: Practice) -> None:
    send = a_waiting_send(http, practice)
    refused = http.put(
        f"/billing/invoice/{send['id']}", json={"method": "FAX"}, headers=practice.decoda_headers
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "method"]
    assert read(http, practice, send["id"])["method"] == "SMS"


# -- execute-action: write-off, to-collections ---------------------------------------------------------------
def test_a_write_off_needs_its_reason_and_writes_the_invoice_off_and_stops_the_rule(
    http: httpx.Client, practice: Practice
) -> None:
    patient = a_patient(http, practice)
    send = a_waiting_send(http, practice, patient)
    missing = act(http, practice, [send["id"]], "write-off")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "writeOffReason"]

    done = act(http, practice, [send["id"]], "write-off", writeOffReason="hardship")
    assert done.status_code == 200, done.text
    [after] = done.json()
    assert after["status"] == "CANCELLED"
    [invoice] = invoices_of(http, practice, patient)
    assert invoice["status"] == "WRITTEN_OFF"
    assert act(http, practice, [send["id"]], "write-off", writeOffReason="again").status_code == 409


def test_to_collections_stops_the_rule_and_tags_the_invoice(http: httpx.Client, practice: Practice) -> None:
    patient = a_patient(http, practice)
    send = a_waiting_send(http, practice, patient)
    done = act(http, practice, [send["id"]], "TO-COLLECTIONS")
    assert done.status_code == 200, done.text
    assert done.json()[0]["status"] == "CANCELLED"
    [invoice] = invoices_of(http, practice, patient)
    assert (invoice["status"], "collections" in invoice["tags"]) == ("ISSUED", True)


def test_an_action_on_several_invoices_is_all_or_nothing(http: httpx.Client, practice: Practice) -> None:
    waiting = a_waiting_send(http, practice)
    cancelled = a_waiting_send(http, practice)
    assert act(http, practice, [cancelled["id"]], "cancel").status_code == 200
    refused = act(http, practice, [waiting["id"], cancelled["id"]], "write-off", writeOffReason="x")
    assert refused.status_code == 409
    assert read(http, practice, waiting["id"])["status"] == "PENDING"


# -- rule sets and rules ---------------------------------------------------------------------------------
def a_rule_set(http: httpx.Client, practice: Practice) -> dict[str, Any]:
    body = {
        "name": "By amount",
        "description": "small bills by text, large ones by letter",
        "rules": [
            {
                "name": "small",
                "delayInDays": 365,
                "methods": ["SMS", "EMAIL"],
                "message": MESSAGE,
                "amountLessThan": 10000,
            },
            {"name": "large", "delayInDays": 365, "methods": ["MAIL"], "amountGreaterThan": 9999},
        ],
    }
    made = http.post("/billing/rule-set/create", json=body, headers=practice.decoda_headers)
    assert made.status_code == 200, made.text
    return dict(made.json())


def test_rule_sets_are_made_listed_edited_and_deleted(http: httpx.Client, practice: Practice) -> None:
    headers = practice.decoda_headers
    made = a_rule_set(http, practice)
    assert list(made) == ["id", "name", "description", "rules"]
    small, large = made["rules"]
    assert list(small) == [
        "id", "name", "delayInDays", "ruleSetId", "amountLessThan", "amountGreaterThan", "lessThanOrEqualTo",
        "methods", "message",
    ]  # fmt: skip
    assert (small["ruleSetId"], small["amountLessThan"], large["methods"]) == (made["id"], 10000, ["MAIL"])

    listed = http.get("/billing/rule/list", headers=headers).json()
    assert {r["id"] for r in listed} >= {small["id"], large["id"]}
    only = http.get(
        "/billing/rule/list", params={"methods": "MAIL", "ruleSetId": made["id"]}, headers=headers
    ).json()
    assert [r["id"] for r in only] == [large["id"]]

    edit = {
        "name": "By amount (v2)",
        "rules": [
            {"id": small["id"], "name": "small", "ruleSetId": made["id"], "delayInDays": 2},
            {
                "name": "huge",
                "ruleSetId": made["id"],
                "delayInDays": 1,
                "methods": ["CALL"],
                "amountGreaterThan": 100000,
            },
        ],
    }
    edited = http.put(f"/billing/rule-set/edit/{made['id']}", json=edit, headers=headers)
    assert edited.status_code == 200, edited.text
    rules = {r["name"]: r for r in edited.json()["rules"]}
    assert edited.json()["name"] == "By amount (v2)"
    assert (rules["small"]["delayInDays"], rules["small"]["methods"]) == (2, ["SMS", "EMAIL"])  # null kept
    assert set(rules) == {"small", "large", "huge"}  # left out: kept

    assert http.delete(f"/billing/rule/delete/{large['id']}", headers=headers).status_code == 200
    sets = http.get("/billing/rule-set/list", headers=headers).json()
    [mine] = [s for s in sets if s["id"] == made["id"]]
    assert {r["name"] for r in mine["rules"]} == {"small", "huge"}
    assert http.delete(f"/billing/rule-set/delete/{made['id']}", headers=headers).status_code == 200
    assert http.delete(f"/billing/rule-set/delete/{made['id']}", headers=headers).status_code == 404
    assert all(r["ruleSetId"] != made["id"] for r in http.get("/billing/rule/list", headers=headers).json())


def test_a_rules_message_needs_its_placeholders(http: httpx.Client, practice: Practice) -> None:
    body = {"name": "x", "rules": [{"name": "r", "delayInDays": 1, "methods": ["SMS"], "message": "Pay now"}]}
    refused = http.post("/billing/rule-set/create", json=body, headers=practice.decoda_headers)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "rules", 0, "message"]


def test_change_rule_set_picks_the_rule_by_the_invoices_amount(
    http: httpx.Client, practice: Practice
) -> None:
    rule_set = a_rule_set(http, practice)
    send = a_waiting_send(http, practice)  # 12000 cents: the "large" rule
    missing = act(http, practice, [send["id"]], "change rule set")
    assert missing.json()["detail"][0]["loc"] == ["body", "ruleSetId"]
    changed = act(http, practice, [send["id"]], "change rule set", ruleSetId=rule_set["id"])
    assert changed.status_code == 200, changed.text
    [after] = changed.json()
    assert (after["rule"]["name"], after["method"], after["status"]) == ("large", "MAIL", "PENDING")
    unknown = act(http, practice, [send["id"]], "change rule set", ruleSetId=str(uuid.uuid4()))
    assert unknown.status_code == 404


# -- the invoice table ---------------------------------------------------------------------------------------
def rows(http: httpx.Client, practice: Practice, **params: Any) -> dict[str, Any]:
    got = http.get("/billing/invoice/table", params=params, headers=practice.decoda_headers)
    assert got.status_code == 200, got.text
    return dict(got.json())


def test_the_table_pages_sorts_and_filters_and_finds_what_will_fail(
    http: httpx.Client, new_practice: Any
) -> None:
    practice: Practice = new_practice()
    healthy = a_waiting_send(http, practice)
    no_email = a_patient(http, practice, email=None)
    will_fail = with_rule(http, practice, no_email, ["EMAIL"], 365)
    paused = a_waiting_send(http, practice)
    assert act(http, practice, [paused["id"]], "pause").status_code == 200
    sent = bill(http, practice, a_patient(http, practice), "EMAIL")
    until(http, practice, sent["id"], status="SENT")

    page = rows(http, practice, per_page=2, page=1, sort_by="created_date", sort_direction="asc")
    assert page["total"] == 4
    assert [r["id"] for r in page["data"]] == [healthy["id"], will_fail["id"]]
    row = page["data"][0]
    assert list(row) == [
        "id",
        "status",
        "resumedDate",
        "pausedDate",
        "createdDate",
        "updatedDate",
        "invoices",
        "patient",
    ]
    assert row["invoices"][0]["id"] == healthy["id"]
    assert (row["patient"]["charges"][0]["totalOutstanding"], row["patient"]["firstName"]) == (12000, "Zoë")
    second = rows(http, practice, per_page=2, page=2, sort_by="created_date", sort_direction="asc")
    assert [r["id"] for r in second["data"]] == [paused["id"], sent["id"]]

    statuses = {r["id"]: r["status"] for r in rows(http, practice, per_page=10)["data"]}
    assert statuses == {
        healthy["id"]: "ACTIVE",
        will_fail["id"]: "WILL_FAIL",
        paused["id"]: "PAUSED",
        sent["id"]: "EXPIRED",
    }
    failing = rows(http, practice, status="WILL_FAIL")
    assert [r["id"] for r in failing["data"]] == [will_fail["id"]]
    both = http.get(
        "/billing/invoice/select-all",
        params=[("status", "ACTIVE"), ("status", "PAUSED")],
        headers=practice.decoda_headers,
    )
    assert {r["id"] for r in both.json()} == {healthy["id"], paused["id"]}
    assert rows(http, practice, amount=[13000])["total"] == 0
    assert rows(http, practice, search_term="lee")["total"] == 4
    assert rows(http, practice, search_term="nobody-at-all")["total"] == 0


def test_an_opted_out_number_makes_the_next_text_will_fail(http: httpx.Client, new_practice: Any) -> None:
    practice: Practice = new_practice()
    patient = a_patient(http, practice, phone="+15555550199")  # the fake's opted-out numbers end in 99
    first = bill(http, practice, patient, "SMS")
    until(http, practice, first["id"], status="FAILED")
    later_text = with_rule(http, practice, patient, ["SMS"], 365)

    def status() -> str | None:
        found = {r["id"]: r["status"] for r in rows(http, practice, per_page=10)["data"]}
        return found.get(later_text["id"])

    assert wait_for(status, what="the table's row") == "WILL_FAIL"
