"""What people do to sends over HTTP: Decoda's pause / resume / cancel, send-now and retry-method, and
Healthbridge's aborted and sent lists and per-practice cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body
from tests.e2e.test_decoda_http import CREATE, manual
from tests.polling import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin(new_practice: Callable[..., Practice]) -> Practice:
    return new_practice(admin=True)


def scheduled(http: httpx.Client, practice: Practice, days: int = 3) -> dict[str, Any]:
    body = manual(rule={"name": "later", "delayInDays": days})
    response = http.post(CREATE, json=body, headers=practice.decoda_headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def details(http: httpx.Client, practice: Practice, invoice_id: str) -> dict[str, Any]:
    return dict(http.get(f"/billing/invoice/{invoice_id}", headers=practice.decoda_headers).json())


def act(http: httpx.Client, practice: Practice, action: str, *ids: str) -> httpx.Response:
    body = {"invoiceSetIds": list(ids), "actionType": action}
    return http.put("/billing/invoice/execute-action", json=body, headers=practice.decoda_headers)


def test_pause_resume_and_cancel(http: httpx.Client, practice: Practice) -> None:
    first, second = scheduled(http, practice), scheduled(http, practice)
    paused = act(http, practice, "pause", first["id"], second["id"])
    assert paused.status_code == 200, paused.text
    assert [(d["status"], d["pausedDate"] is not None) for d in paused.json()] == [("PAUSED", True)] * 2
    resumed = act(http, practice, "RESUME", first["id"]).json()[0]
    assert (resumed["status"], resumed["resumedDate"] is not None) == ("PENDING", True)
    assert act(http, practice, "cancel", second["id"]).json()[0]["status"] == "CANCELLED"
    refused = act(http, practice, "resume", first["id"], second["id"])  # second is cancelled: nothing changes
    assert refused.status_code == 409
    assert details(http, practice, first["id"])["status"] == "PENDING"
    assert act(http, practice, "archive", first["id"]).status_code == 422


def test_send_now_sends_a_scheduled_invoice(
    stack: LocalStack, http: httpx.Client, practice: Practice
) -> None:
    later = scheduled(http, practice, days=30)
    response = http.put(f"/billing/invoice/{later['id']}/send-now", headers=practice.decoda_headers)
    assert response.status_code == 200, response.text
    wait_for(lambda: details(http, practice, later["id"])["status"] == "SENT", what="the send")
    again = http.put(f"/billing/invoice/{later['id']}/send-now", headers=practice.decoda_headers)
    assert again.status_code == 409


def test_retry_with_another_method_after_a_rejection(
    http: httpx.Client, practice: Practice, outage: Callable[[str], None]
) -> None:
    outage("reject")  # the print-and-mail provider refuses the letter
    created = http.post(CREATE, json=manual(invoiceMethod="MAIL"), headers=practice.decoda_headers).json()
    wait_for(lambda: details(http, practice, created["id"])["status"] == "FAILED", what="the rejection")
    outage("ok")
    body = {"invoiceId": created["id"], "invoiceMethod": "SMS"}
    retried = http.put("/billing/invoice/retry-method", json=body, headers=practice.decoda_headers)
    assert retried.status_code == 200, retried.text
    done = wait_for(
        lambda: (d := details(http, practice, created["id"]))["status"] == "SENT" and d, what="the SMS"
    )
    assert done["methodsAttempted"] == ["MAIL", "SMS"]
    assert done["method"] == "SMS"


def test_aborted_and_sent_lists_and_cancel(
    stack: LocalStack,
    http: httpx.Client,
    admin: Practice,
    other_practice: Practice,
    outage: Callable[[str], None],
) -> None:
    issued = http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=admin.headers).json()

    def sent_today() -> list[dict[str, Any]]:
        today = datetime.now(UTC).date().isoformat()
        rows = http.get(f"/api/v1/billing/invoices/sent/sentDate/{today}", headers=admin.headers).json()
        return [row for row in rows if row["InvoiceId"] == issued["id"]]

    assert wait_for(sent_today, what="the sent list")[0]["Status"] == "SENT"
    assert http.get("/api/v1/billing/invoices/sent/sentDate/2001-01-01", headers=admin.headers).json() == []
    bad_date = http.get("/api/v1/billing/invoices/sent/sentDate/yesterday", headers=admin.headers)
    assert bad_date.status_code == 400
    assert "Message" in bad_date.json()

    outage("fail")
    pending = http.post("/invoice/", json=invoice_body(status="ISSUED"), headers=admin.headers).json()
    url = f"/api/v1/{admin.tenant.id}/billing/invoices/{pending['id']}/cancel"
    cancelled = http.post(url, headers=admin.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["Data"] == pending["id"]
    assert cancelled.json()["ResponseMessage"].startswith("1 ")
    aborted = http.get("/api/v1/billing/invoices/aborted", headers=admin.headers).json()
    assert [row["Status"] for row in aborted if row["InvoiceId"] == pending["id"]] == ["CANCELLED"]

    elsewhere = f"/api/v1/{other_practice.tenant.id}/billing/invoices/{pending['id']}/cancel"
    assert http.post(elsewhere, headers=admin.headers).status_code == 404
    xml = http.post(url, headers={**admin.headers, "Accept": "text/xml"})
    assert xml.text.startswith("<RestApiResultOfguid ")


# -- found by the fuzzing suite (tests/fuzz) -----------------------------------------------------------
def test_a_path_parameter_no_route_takes_is_healthbridges_404(http: httpx.Client, admin: Practice) -> None:
    # given an invoice id of bytes that are not text (Powertools found no route, and that was a 500)
    url = f"/api/v1/{admin.tenant.id}/billing/invoices/%F1%9C%BC%B5%F2%84/cancel"
    response = http.post(url, headers=admin.headers)
    assert response.status_code == 404
    assert response.json() == {"Message": "No HTTP resource was found that matches the request URI."}


@pytest.mark.parametrize("sent_date", ["0", "1700000000", "yesterday"])
def test_a_sent_date_that_is_not_yyyy_mm_dd_is_400(
    http: httpx.Client, admin: Practice, sent_date: str
) -> None:
    # given a number for the date (lax mode read "0" as 1970-01-01 and answered 200)
    response = http.get(f"/api/v1/billing/invoices/sent/sentDate/{sent_date}", headers=admin.headers)
    assert response.status_code == 400
    assert list(response.json()) == ["Message"]


@pytest.mark.parametrize("accept", ["application/xml", "text/xml"])
def test_an_xml_client_gets_its_errors_in_xml(
    http: httpx.Client, practice: Practice, admin: Practice, accept: str
) -> None:
    # given clients that asked for XML: one who is not an admin, one of a bad id (one without a token
    # hears API Gateway's JSON 401 before any function runs: docs/decisions/018-tokens-verified-at-the-
    # gateway.md)
    failed = "/api/v1/billing/invoices/failed"
    unauthenticated = http.get(failed, headers={"Accept": accept})
    assert (unauthenticated.status_code, unauthenticated.json()) == (401, {"message": "Unauthorized"})
    not_admin = http.get(failed, headers={**practice.headers, "Accept": accept})
    bad_date = http.get(
        "/api/v1/billing/invoices/sent/sentDate/yesterday", headers={**admin.headers, "Accept": accept}
    )
    # then each error is Web API's HttpError in XML, as ASP.NET writes it to such a client
    for response, status in ((not_admin, 403), (bad_date, 400)):
        assert response.status_code == status
        assert response.headers["Content-Type"] == f"{accept}; charset=utf-8"
        assert response.text.startswith("<Error><Message>"), response.text
        assert response.text.endswith("</Message></Error>")
    assert not_admin.text == "<Error><Message>this operation needs the admin role</Message></Error>"
    # and a client that accepts neither JSON nor XML hears why in JSON (Web API's fallback)
    refused = http.get(failed, headers={**admin.headers, "Accept": "text/csv"})
    assert refused.status_code == 406
    assert list(refused.json()) == ["Message"]
