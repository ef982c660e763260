"""The Invoice API over real HTTP against the local stack, as a billing team's client uses it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import Practice, invoice_body, sign_in

pytestmark = pytest.mark.e2e


def create(http: httpx.Client, practice: Practice, **overrides: Any) -> dict[str, Any]:
    response = http.post("/invoice/", json=invoice_body(**overrides), headers=practice.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_demo_users_from_the_readme_sign_in(http: httpx.Client) -> None:
    for username, password in [
        ("demo@invoice-hub.local", "DemoPass-123!"),
        ("other@invoice-hub.local", "OtherPass-123!"),
        ("admin@invoice-hub.local", "AdminPass-123!"),
    ]:
        token = sign_in(http, username, password)
        response = http.get("/invoice/", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200


def test_demo_practices_do_not_see_each_other(http: httpx.Client) -> None:
    demo = {"Authorization": f"Bearer {sign_in(http, 'demo@invoice-hub.local', 'DemoPass-123!')}"}
    other = {"Authorization": f"Bearer {sign_in(http, 'other@invoice-hub.local', 'OtherPass-123!')}"}
    created = http.post("/invoice/", json=invoice_body(), headers=demo).json()
    assert http.get(f"/invoice/{created['id']}", headers=other).status_code == 404
    listed = http.get("/invoice/", params={"limit": 500}, headers=other).json()
    assert created["id"] not in {invoice["id"] for invoice in listed["data"]}


def test_an_invoice_from_draft_to_paid(http: httpx.Client, practice: Practice) -> None:
    created = create(http, practice, items=[{"description": "Consultation", "unit_price": 100}])
    url = f"/invoice/{created['id']}"
    body = invoice_body(patient_id=created["patient_id"], appointment_id=created["appointment_id"])
    body["items"] = created["items"]

    issued = http.put(url, json={**body, "status": "ISSUED"}, headers={**practice.headers, "If-Match": '"1"'})
    assert issued.status_code == 200, issued.text
    assert issued.json()["status"] == "ISSUED"
    part = http.put(url, json={**body, "status": "ISSUED", "paid_amount": 40}, headers=practice.headers)
    assert part.json()["status"] == "PARTIALY_PAID"
    assert part.json()["remaining_amount"] == 60
    paid = http.put(url, json={**body, "status": "ISSUED", "paid_amount": 100}, headers=practice.headers)
    assert paid.json()["status"] == "PAID"
    assert paid.headers["ETag"] == '"4"'
    back = http.put(url, json={**body, "status": "DRAFT", "paid_amount": 100}, headers=practice.headers)
    assert back.status_code == 409
    assert back.json() == {"detail": "invoice status cannot change from PAID to DRAFT"}
    assert http.get(url, headers=practice.headers).json()["status"] == "PAID"
    assert http.delete(url, headers=practice.headers).status_code == 409


def test_list_filters_order_pagination_and_total(http: httpx.Client, practice: Practice) -> None:
    patient, appointment = str(uuid.uuid4()), str(uuid.uuid4())
    made = [
        create(
            http, practice, patient_id=patient, items=[{"description": f"Visit {n}", "unit_price": 10 * n}]
        )
        for n in range(1, 6)
    ]
    create(http, practice, appointment_id=appointment, status="ISSUED", tags=["urgent"])
    create(http, practice, items=[{"description": "Knee X-Ray", "unit_price": 80}], tags=["radiology"])

    def listed(**params: Any) -> dict[str, Any]:
        response = http.get("/invoice/", params=params, headers=practice.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    everything = listed()
    assert (everything["total"], everything["offset"], everything["limit"]) == (7, 0, 100)
    assert [i["id"] for i in everything["data"][:5]] == [i["id"] for i in made]  # oldest first by default

    page = listed(limit=2, offset=1)
    assert page["total"] == 7
    assert [i["id"] for i in page["data"]] == [made[1]["id"], made[2]["id"]]
    assert [i["id"] for i in listed(order_by="-created_at", limit=1)["data"]] != [made[0]["id"]]

    by_patient = listed(patient_id=patient, order_by="-total_amount")
    assert by_patient["total"] == 5
    assert [i["total_amount"] for i in by_patient["data"]] == [50, 40, 30, 20, 10]
    assert listed(appointment_id=appointment)["total"] == 1
    assert listed(status="ISSUED")["total"] == 1
    assert listed(status="DRAFT", patient_id=patient)["total"] == 5
    assert listed(tags=["urgent"])["total"] == 1
    assert listed(tags=["urgent", "radiology"])["total"] == 0
    assert [i["items"][0]["description"] for i in listed(search="x-ray")["data"]] == ["Knee X-Ray"]
    assert listed(search=made[2]["reg_number"].lower())["data"][0]["id"] == made[2]["id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"order_by": "password"}, "order_by"),
        ({"status": "PARTIALLY_PAID"}, "status"),
        ({"patient_id": "x"}, "patient_id"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_list_parameters_are_422(
    http: httpx.Client, practice: Practice, params: dict[str, Any], field: str
) -> None:
    response = http.get("/invoice/", params=params, headers=practice.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[]",
        b"null",
        b'{"patient_id": 12}',
        '{"patient_id": "\u00e9"}'.encode(),
        b'[{"patient_id": "875b72c7-6e02-4a20-89c8-e5a7c8f3a286"}]',  # a valid invoice inside a list
        b"\xff\xfe",  # not UTF-8
    ],
)
def test_malformed_bodies_are_422_never_500(http: httpx.Client, practice: Practice, content: bytes) -> None:
    headers = {**practice.headers, "Content-Type": "application/json"}
    response = http.post("/invoice/", content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert "detail" in response.json()


def test_concurrent_posts_with_one_idempotency_key_make_one_invoice(
    http: httpx.Client, practice: Practice
) -> None:
    body = invoice_body()
    headers = {**practice.headers, "Idempotency-Key": str(uuid.uuid4())}
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: http.post("/invoice/", json=body, headers=headers), range(20)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    listed = http.get("/invoice/", params={"patient_id": body["patient_id"]}, headers=practice.headers).json()
    assert listed["total"] == 1
    other_body = http.post("/invoice/", json={**body, "tags": ["changed"]}, headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_one_idempotency_key_in_two_practices_makes_two_invoices(
    http: httpx.Client, new_practice: Callable[..., Practice]
) -> None:
    first, second = new_practice(), new_practice()
    key = {"Idempotency-Key": "shared-key"}
    body = invoice_body()
    a = http.post("/invoice/", json=body, headers={**first.headers, **key})
    b = http.post("/invoice/", json=body, headers={**second.headers, **key})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert a.json()["reg_number"] == b.json()["reg_number"] == "INV-000001"


def test_requests_without_a_token_get_a_bearer_challenge(http: httpx.Client) -> None:
    # API Gateway's JWT authorizer answers them, before any function runs
    for method, url in [("GET", "/invoice/"), ("POST", "/invoice/"), ("GET", f"/invoice/{uuid.uuid4()}")]:
        response = http.request(method, url)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")
        assert response.json() == {"message": "Unauthorized"}


def test_gateway_behaves_like_api_gateway(http: httpx.Client, practice: Practice) -> None:
    missing = http.get("/invoices")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not Found"}
    assert http.patch("/invoice/").status_code == 404
    assert http.get("/invoice", headers=practice.headers).status_code == 200  # with or without the slash


def gateway_answer(response: httpx.Response) -> tuple[int, str | None, bytes]:
    """What a client can tell of a 404: its status, its media type and its bytes."""
    return response.status_code, response.headers.get("Content-Type"), response.content


def test_the_contracts_slash_paths_reach_the_same_operations_as_the_bare_ones(
    http: httpx.Client, practice: Practice
) -> None:
    # given the contract's `POST /invoice/` and `GET /invoice/` (seed 003), and the same without the slash
    # (an HTTP API serves the slash through the routes `/invoice/{proxy+}`: decision 017)
    with_slash = http.post("/invoice/", json=invoice_body(), headers=practice.headers)
    without = http.post("/invoice", json=invoice_body(), headers=practice.headers)
    # then both create, and both lists see both invoices
    assert (with_slash.status_code, without.status_code) == (201, 201), (with_slash.text, without.text)
    ids = {with_slash.json()["id"], without.json()["id"]}
    for path in ("/invoice/", "/invoice"):
        listed = http.get(path, params={"limit": 500}, headers=practice.headers)
        assert listed.status_code == 200, (path, listed.text)
        assert ids <= {invoice["id"] for invoice in listed.json()["data"]}, path
    # and without a token, the slash path is the JWT authorizer's 401 as the bare one is
    for method in ("GET", "POST"):
        refused = http.request(method, "/invoice/")
        assert refused.status_code == 401, (method, refused.text)
        assert refused.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "path", ["/invoice/x/y", "/invoice/x/y/", "/invoice//", "/invoice/{id}/", "/invoice/{id}/x"]
)
def test_a_deeper_path_under_invoice_is_the_gateways_404(
    http: httpx.Client, practice: Practice, method: str, path: str
) -> None:
    # given a path under the contract's `/invoice/` that no operation has, with a good token and a body
    # (`/invoice/{proxy+}` takes it, as it takes `/invoice/`)
    url = path.replace("{id}", str(uuid.uuid4()))
    before = http.get("/invoice", params={"limit": 500}, headers=practice.headers).json()["total"]
    body = invoice_body() if method == "POST" else None
    # when sent
    answer = http.request(method, url, json=body, headers=practice.headers)
    # then it looks exactly like API Gateway's answer to a path no route has, and nothing was created
    unknown = http.request(method, "/no-such-route", json=body, headers=practice.headers)
    assert gateway_answer(answer) == gateway_answer(unknown), (method, url)
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Not Found"}
    assert http.get("/invoice", params={"limit": 500}, headers=practice.headers).json()["total"] == before


def test_token_endpoint_errors(http: httpx.Client) -> None:
    assert http.post("/auth/token", data={"username": "demo@invoice-hub.local"}).status_code == 422
    wrong = http.post("/auth/token", data={"username": "nobody@example.test", "password": "Whatever-123!"})
    assert wrong.status_code == 400
    assert wrong.json() == {"detail": "Incorrect username or password"}
    grant = http.post(
        "/auth/token",
        data={
            "username": "demo@invoice-hub.local",
            "password": "DemoPass-123!",
            "grant_type": "client_credentials",
        },
    )
    assert grant.status_code == 400


def test_openapi_document_and_swagger_ui_are_served(http: httpx.Client) -> None:
    document = http.get("/openapi.json")
    assert document.status_code == 200
    schema = document.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"][
        "tokenUrl"
    ] == ("/auth/token")
    assert {"get", "post"} <= set(schema["paths"]["/invoice/"])
    assert {"get", "put", "delete"} <= set(schema["paths"]["/invoice/{id}"])
    page = http.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui" in page.text


# -- found by the fuzzing suite (tests/fuzz): each was a 500 or an accepted mistake ---------------------
def test_a_body_that_is_neither_json_nor_a_form_is_415_naming_json(
    http: httpx.Client, practice: Practice
) -> None:
    # given an invoice sent as text/plain (Powertools could not read it and the service answered 500;
    # then a 422 about "a valid dictionary" that did not say JSON was expected)
    headers = {**practice.headers, "Content-Type": "text/plain"}
    response = http.post("/invoice/", content=json.dumps(invoice_body()), headers=headers)
    # then it is refused as a media type the operation does not take, naming the one it takes
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_a_form_sent_for_an_invoice_is_415(http: httpx.Client, practice: Practice) -> None:
    # given an invoice sent as a form (Powertools read the form and answered a 422 `uuid_type`)
    response = http.post("/invoice/", data={"patient_id": "x"}, headers=practice.headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_a_token_request_in_json_is_415_naming_the_form(http: httpx.Client) -> None:
    response = http.post("/auth/token", json={"username": "a", "password": "b"})
    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.json()["detail"]


def test_a_multipart_token_request_without_its_boundary_is_422(http: httpx.Client) -> None:
    response = http.post(
        "/auth/token", content=b"username=a", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


@pytest.mark.parametrize("field", ["issue_date", "due_date"])
@pytest.mark.parametrize("value", [0, 1700000000, "1700000000", True])
def test_a_number_is_not_a_date(http: httpx.Client, practice: Practice, field: str, value: Any) -> None:
    # given a date sent as a number (pydantic's lax mode read it as seconds since 1970)
    response = http.post("/invoice/", json=invoice_body(**{field: value}), headers=practice.headers)
    # then the client hears of its mistake instead of getting an invoice dated 1970
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
