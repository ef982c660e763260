"""The Invoice API's handlers called as Lambda calls them, with the sample events of events/, against
moto's server holding the tables and user pool built from template.yaml."""

from __future__ import annotations

import base64
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from invoice_hub_local.stack import LocalStack
from tests.conftest import Practice, invoice_body, load_event
from tests.integration.handlers import authed, call, for_invoice, with_body


def create(stack: LocalStack, practice: Practice, **overrides: Any) -> dict[str, Any]:
    event = with_body(authed(load_event("invoice_create", "create"), practice), invoice_body(**overrides))
    event["headers"].pop("Idempotency-Key")
    event["multiValueHeaders"].pop("Idempotency-Key")
    status, _, body = call(stack, "invoice_create", event)
    assert status == 201, body
    return dict(body)


def test_create_event_gives_201_with_the_first_registration_number(
    stack: LocalStack, practice: Practice
) -> None:
    status, headers, body = call(
        stack, "invoice_create", authed(load_event("invoice_create", "create"), practice)
    )
    assert status == 201
    assert body["reg_number"] == "INV-000001"
    assert body["status"] == "DRAFT"
    assert body["subtotal"] == 120
    assert body["total_amount"] == 120
    assert headers["ETag"] == '"1"'
    assert headers["Location"] == f"/invoice/{body['id']}"


def test_missing_patient_is_a_422_naming_the_field(stack: LocalStack, practice: Practice) -> None:
    status, _, body = call(
        stack, "invoice_create", authed(load_event("invoice_create", "missing_patient"), practice)
    )
    assert status == 422
    assert body == {"detail": [{"type": "missing", "loc": ["body", "patient_id"], "msg": "Field required"}]}


def test_sample_event_without_a_real_token_is_401_with_a_bearer_challenge(stack: LocalStack) -> None:
    for function, case in [("invoice_create", "create"), ("invoice_list", "default"), ("invoice_get", "get")]:
        status, headers, body = call(stack, function, load_event(function, case))
        assert status == 401, function
        assert headers["WWW-Authenticate"] == "Bearer"
        assert body == {"detail": "Invalid token"}


def test_get_returns_the_invoice_with_its_etag(stack: LocalStack, practice: Practice) -> None:
    created = create(stack, practice)
    status, headers, body = call(
        stack, "invoice_get", for_invoice(authed(load_event("invoice_get", "get"), practice), created["id"])
    )
    assert status == 200
    assert body == created
    assert headers["ETag"] == '"1"'


def test_another_practices_invoice_is_not_found(
    stack: LocalStack, practice: Practice, other_practice: Practice
) -> None:
    created = create(stack, practice)
    for function, case in [("invoice_get", "get"), ("invoice_update", "issue"), ("invoice_delete", "delete")]:
        event = for_invoice(authed(load_event(function, case), other_practice), created["id"])
        status, _, body = call(stack, function, event)
        assert status == 404, function
        assert body == {"detail": "Invoice not found"}
    status, _, _ = call(
        stack, "invoice_get", for_invoice(authed(load_event("invoice_get", "get"), practice), created["id"])
    )
    assert status == 200


def test_update_issues_the_invoice_then_a_stale_if_match_is_412(
    stack: LocalStack, practice: Practice
) -> None:
    created = create(stack, practice)
    event = for_invoice(authed(load_event("invoice_update", "issue"), practice), created["id"])
    event = with_body(event, invoice_body(status="ISSUED", patient_id=created["patient_id"]))
    status, headers, body = call(stack, "invoice_update", event)
    assert status == 200, body
    assert body["status"] == "ISSUED"
    assert headers["ETag"] == '"2"'
    status, _, body = call(stack, "invoice_update", event)  # still If-Match "1"
    assert status == 412
    assert "does not match the current version" in body["detail"]


def test_concurrent_updates_of_one_version_one_wins_entirely(stack: LocalStack, practice: Practice) -> None:
    created = create(stack, practice)
    bodies = [
        invoice_body(
            patient_id=created["patient_id"],
            tags=[f"writer-{n}"],
            items=[{"description": f"Line {n}", "unit_price": 10 * (n + 1)}],
        )
        for n in range(2)
    ]

    def update(body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        event = for_invoice(authed(load_event("invoice_update", "issue"), practice), created["id"])
        return call(stack, "invoice_update", with_body(event, body))

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(update, bodies))
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200, 412]
    winner = next(body for status, _, body in results if status == 200)
    _, _, stored = call(
        stack, "invoice_get", for_invoice(authed(load_event("invoice_get", "get"), practice), created["id"])
    )
    assert stored["tags"] == winner["tags"]
    assert stored["items"] == winner["items"]
    assert stored["total_amount"] == winner["total_amount"]


def test_delete_removes_a_draft_and_keeps_an_issued_invoice(stack: LocalStack, practice: Practice) -> None:
    draft = create(stack, practice)
    issued = create(stack, practice, status="ISSUED")
    status, _, _ = call(
        stack,
        "invoice_delete",
        for_invoice(authed(load_event("invoice_delete", "delete"), practice), draft["id"]),
    )
    assert status == 204
    status, _, _ = call(
        stack, "invoice_get", for_invoice(authed(load_event("invoice_get", "get"), practice), draft["id"])
    )
    assert status == 404
    status, _, body = call(
        stack,
        "invoice_delete",
        for_invoice(authed(load_event("invoice_delete", "delete"), practice), issued["id"]),
    )
    assert status == 409
    assert body == {"detail": "only a DRAFT invoice may be deleted; this one is ISSUED"}


def test_registration_numbers_stay_gap_free_under_concurrent_creates(
    stack: LocalStack, practice: Practice
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda _: create(stack, practice), range(12)))
    assert sorted(body["reg_number"] for body in created) == [f"INV-{n:06d}" for n in range(1, 13)]


def test_list_event_filters_by_status_and_tags(stack: LocalStack, practice: Practice) -> None:
    wanted = create(stack, practice, status="ISSUED", tags=["urgent", "follow-up"])
    create(stack, practice, status="ISSUED", tags=["urgent"])
    create(stack, practice, status="DRAFT", tags=["urgent", "follow-up"])
    status, _, body = call(stack, "invoice_list", authed(load_event("invoice_list", "filtered"), practice))
    assert status == 200
    assert body["total"] == 1
    assert [invoice["id"] for invoice in body["data"]] == [wanted["id"]]
    assert (body["offset"], body["limit"]) == (0, 10)


def test_token_event_signs_in_and_a_wrong_password_is_400(stack: LocalStack) -> None:
    status, _, body = call(stack, "auth_token", load_event("auth_token", "password_grant"))
    assert status == 200
    assert body["token_type"] == "bearer"
    assert body["access_token"].count(".") == 2
    event = load_event("auth_token", "password_grant")
    event["body"] = "username=demo%40invoice-hub.local&password=wrong"
    status, _, body = call(stack, "auth_token", event)
    assert status == 400
    assert body == {"detail": "Incorrect username or password"}


def multipart(fields: dict[str, str], boundary: str = "b0undary") -> str:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    return "".join(parts) + f"--{boundary}--\r\n"


def test_a_multipart_sign_in_is_read_as_text_whatever_its_characters(stack: LocalStack) -> None:
    # given the token event with its form as multipart/form-data, as API Gateway passes it (text, not base64)
    event = load_event("auth_token", "password_grant")
    event["headers"]["Content-Type"] = "multipart/form-data; boundary=b0undary"
    event["multiValueHeaders"]["Content-Type"] = [event["headers"]["Content-Type"]]
    for password, wanted in [("DemoPass-123!", 200), ("wrong-é", 400), ("wrong-\U000d4258", 400)]:
        event["body"] = multipart({"username": "demo@invoice-hub.local", "password": password})
        # when it is sent; then the fields are read as the client wrote them: signed in, or refused as
        # a wrong password (non-ASCII text was a 500: Powertools reads a text body as Latin-1)
        status, _, body = call(stack, "auth_token", event)
        assert status == wanted, body
    # and a field that is not UTF-8 (a base64 body) is FastAPI's 422 for a form it cannot parse
    raw = multipart({"username": "demo@invoice-hub.local", "password": "wrong-?"}).encode()
    event["body"] = base64.b64encode(raw.replace(b"wrong-?", b"wrong-\xff")).decode()
    event["isBase64Encoded"] = True
    status, _, body = call(stack, "auth_token", event)
    assert (status, body["detail"][0]["type"]) == (422, "multipart_invalid")


def test_documentation_events_serve_the_document_and_the_page(stack: LocalStack) -> None:
    status, _, document = call(stack, "openapi_document", load_event("openapi_document", "get"))
    assert status == 200
    assert {"/invoice/", "/invoice/{id}", "/auth/token"} <= set(document["paths"])
    status, headers, page = call(stack, "swagger_ui", load_event("swagger_ui", "get"))
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page


def test_unknown_invoice_id_is_404_and_a_malformed_one_422(stack: LocalStack, practice: Practice) -> None:
    status, _, _ = call(
        stack,
        "invoice_get",
        for_invoice(authed(load_event("invoice_get", "get"), practice), str(uuid.uuid4())),
    )
    assert status == 404
    status, _, body = call(
        stack, "invoice_get", for_invoice(authed(load_event("invoice_get", "get"), practice), "42")
    )
    assert status == 422
    assert body["detail"][0]["loc"] == ["path", "id"]


def test_the_slash_route_with_nothing_after_the_slash_is_the_list(
    stack: LocalStack, practice: Practice
) -> None:
    # given `GET /invoice/` as the HTTP API hands it on through `/invoice/{proxy+}` (decision 017): the
    # variable empty, or (not documented) left out
    slash = authed(load_event("invoice_list", "slash"), practice)
    left_out = authed(load_event("invoice_list", "slash"), practice)
    left_out["pathParameters"] = None
    for event in (slash, left_out):
        # when the list function takes it; then the page, as for `/invoice`
        status, _, body = call(stack, "invoice_list", event)
        assert status == 200, body
        assert body["total"] == 0


def test_the_slash_route_with_more_after_the_slash_is_the_gateways_404_before_the_token(
    stack: LocalStack,
) -> None:
    # given `POST /invoice/x/y` through `/invoice/{proxy+}`, with the sample's placeholder token
    event = load_event("invoice_create", "deeper_path")
    # when the create function takes it
    status, headers, body = call(stack, "invoice_create", event)
    # then API Gateway's own 404 for a path no route has, before the token or the body are read
    assert (status, headers, body) == (404, {"Content-Type": "application/json"}, {"message": "Not Found"})
