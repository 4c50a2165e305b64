"""The REST edge: URL anatomy, store codes, content negotiation, input conversion, errors."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

NOT_FOUND = {"message": "Request does not match any route."}
JSON = {"Content-Type": "application/json"}


def test_unknown_route_and_wrong_verb_are_404(echo: TestClient, echo_auth: dict) -> None:
    assert echo.get("/rest/V1/nothing/here", headers=echo_auth).json() == NOT_FOUND
    response = echo.post("/rest/V1/echo/stores", headers={**echo_auth, **JSON}, content=b"{}")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize(
    ("prefix", "store"),
    [
        ("/rest", "default"),
        ("/rest/default", "default"),
        ("/rest/all", "admin"),
        ("/index.php/rest/default", "default"),
        ("/index.php/rest", "default"),
    ],
)
def test_store_code_selects_the_scope(
    echo: TestClient, echo_auth: dict, prefix: str, store: str
) -> None:
    response = echo.get(f"{prefix}/V1/echo/items/ABC", headers=echo_auth)
    assert response.status_code == 200
    assert response.json() == {"sku": "ABC", "store": store}


def test_a_new_store_view_code_is_picked_up(echo: TestClient, echo_services, echo_auth) -> None:
    from commerce_async.stores.repository import create_view

    echo_services.db.run(lambda tx: create_view(tx, "fixturestore", "Fixture Store"))
    response = echo.get("/rest/fixturestore/V1/echo/items/ABC", headers=echo_auth)
    assert response.json() == {"sku": "ABC", "store": "fixturestore"}


@pytest.mark.parametrize("code", ["admin", "nosuchstore"])
def test_admin_and_unknown_store_codes_are_404(echo: TestClient, echo_auth, code: str) -> None:
    response = echo.get(f"/rest/{code}/V1/echo/items/ABC", headers=echo_auth)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_encoded_slash_stays_inside_its_segment(echo: TestClient, echo_auth: dict) -> None:
    response = echo.get("/rest/V1/echo/items/SKU%2F1", headers=echo_auth)
    assert response.json() == {"sku": "SKU/1", "store": "default"}
    response = echo.get("/rest/V1/echo/items/caf%C3%A9%20bleu", headers=echo_auth)
    assert response.json() == {"sku": "café bleu", "store": "default"}


def test_trailing_slash_is_ignored(echo: TestClient, echo_auth: dict) -> None:
    assert echo.get("/rest/V1/echo/items/ABC/", headers=echo_auth).json()["sku"] == "ABC"


def test_literal_segment_wins_over_placeholder(echo: TestClient, echo_auth: dict) -> None:
    assert echo.get("/rest/V1/echo/items/search", headers=echo_auth).json() == "literal segment"


def test_content_type_checks(echo: TestClient, echo_auth: dict) -> None:
    url = "/rest/V1/echo/items"
    body = b'{"item": {"sku": "A"}}'
    cases = [
        ({}, 400, {"message": "Content-Type header is empty."}),
        (
            {"Content-Type": "application/json; charset=latin1"},
            400,
            {"message": "UTF-8 is the only supported charset."},
        ),
        (
            {"Content-Type": "application/xml"},
            400,
            {
                "message": "Server cannot understand Content-Type HTTP header media type %1",
                "parameters": ["application/xml"],
            },
        ),
        ({"Content-Type": "nonsense"}, 400, {"message": "Content-Type header is invalid."}),
    ]
    for headers, status, expected in cases:
        response = echo.post(url, headers={**echo_auth, **headers}, content=body)
        assert (response.status_code, response.json()) == (status, expected), headers
    ok = echo.post(
        url, headers={**echo_auth, "Content-Type": "application/json; charset=utf-8"}, content=body
    )
    assert ok.status_code == 200


@pytest.mark.parametrize("body", [b"{", b'{"item": ', b"\xff\xfe", b"[1, 2"])
def test_bad_json_is_a_decoding_error(echo: TestClient, echo_auth: dict, body: bytes) -> None:
    response = echo.post("/rest/V1/echo/items", headers={**echo_auth, **JSON}, content=body)
    assert (response.status_code, response.json()) == (400, {"message": "Decoding error."})


def test_empty_body_means_no_parameters(echo: TestClient, echo_auth: dict) -> None:
    response = echo.post("/rest/V1/echo/items", headers=echo_auth, content=b"")
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": '"%fieldName" is required. Enter and try again.',
            "parameters": {"fieldName": "item"},
        },
    )


def test_unacceptable_accept_header_is_406(echo: TestClient, echo_auth: dict) -> None:
    response = echo.get("/rest/V1/echo/items/A", headers={**echo_auth, "Accept": "text/html"})
    assert response.status_code == 406
    assert response.json()["message"].startswith(
        "Server cannot match any of the given Accept HTTP header media type(s)"
    )
    for accept in ("application/json", "*/*", "text/html, application/json;q=0.9"):
        assert (
            echo.get("/rest/V1/echo/items/A", headers={**echo_auth, "Accept": accept}).status_code
            == 200
        )


def test_input_keys_in_both_spellings_output_in_snake_case(echo: TestClient, echo_auth) -> None:
    response = echo.post(
        "/rest/V1/echo/items",
        headers={**echo_auth, **JSON},
        json={
            "item": {
                "sku": "A",
                "isActive": "1",
                "price": "12.5",
                "qty": 3.0,
                "dimensions": {"width": 2},
                "tags": ["x", 7],
            }
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "item": {
            "sku": "A",
            "is_active": True,
            "price": 12.5,
            "qty": 3,
            "dimensions": {"width": 2.0},
            "tags": ["x", "7"],
        },
        "store": "default",
        "user_type": 2,
    }


def test_input_errors_are_magento_messages(echo: TestClient, echo_auth: dict) -> None:
    post = echo.post
    response = post("/rest/V1/echo/items", headers={**echo_auth, **JSON}, json={})
    assert response.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "item"},
    }
    response = post(
        "/rest/V1/echo/items",
        headers={**echo_auth, **JSON},
        json={"item": {"sku": "A", "wrong_attribute": 1}},
    )
    assert response.json() == {
        "message": '"%fieldName" is not supported. Correct the field name and try again.',
        "parameters": {"fieldName": "WrongAttribute"},
    }
    response = post(
        "/rest/V1/echo/items",
        headers={**echo_auth, **JSON},
        json={"item": {"sku": "A", "price": "invalid_format"}},
    )
    assert response.json() == {
        "message": 'Error occurred during "price" processing. The "invalid_format" value\'s type '
        'is invalid. The "float" type was expected. Verify and try again.'
    }
    response = post(
        "/rest/V1/echo/items",
        headers={**echo_auth, **JSON},
        json={"item": {"price": "x", "qty": "y"}},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "One or more input exceptions have occurred."
    assert len(response.json()["errors"]) == 2
    response = post(
        "/rest/V1/echo/items",
        headers={**echo_auth, **JSON},
        json={"item": {"name": "<script>alert(1)</script>"}},
    )
    assert response.json() == {
        "message": '"%field_name" does not contains valid value.',
        "parameters": {"field_name": "name"},
    }


def test_put_path_parameter_goes_into_the_body_object(echo: TestClient, echo_auth) -> None:
    response = echo.put(
        "/rest/V1/echo/items/ABC",
        headers={**echo_auth, **JSON},
        json={"item": {"sku": "OTHER", "price": 29}},
    )
    assert response.json()["item"] == {"sku": "ABC", "price": 29.0}


def test_delete_accepts_a_json_body(echo: TestClient, echo_auth: dict) -> None:
    response = echo.request(
        "DELETE", "/rest/V1/echo/items/A", headers={**echo_auth, **JSON}, content=b'{"x": 1}'
    )
    assert (response.status_code, response.json()) == (200, True)
    response = echo.delete("/rest/V1/echo/items/missing", headers=echo_auth)
    assert (response.status_code, response.json()) == (
        404,
        {"message": 'The item with SKU "%1" does not exist.', "parameters": ["missing"]},
    )


def test_fields_filter(echo: TestClient, echo_auth: dict) -> None:
    response = echo.post(
        "/rest/V1/echo/items?fields=item[sku,price],store",
        headers={**echo_auth, **JSON},
        json={"item": {"sku": "A", "name": "N", "price": 1}},
    )
    assert response.json() == {"item": {"sku": "A", "price": 1.0}, "store": "default"}


def test_method_not_known_to_the_api_is_405(echo: TestClient, echo_auth: dict) -> None:
    response = echo.request("OPTIONS", "/rest/V1/echo/items", headers=echo_auth)
    assert response.status_code == 405
    assert response.json() == {"message": "The OPTIONS HTTP method is not supported."}


def test_unexpected_failure_is_masked(echo: TestClient, echo_auth: dict) -> None:
    response = echo.post(
        "/rest/V1/echo/items", headers={**echo_auth, **JSON}, json={"item": {"sku": "boom"}}
    )
    assert response.status_code == 500
    body = response.json()
    assert list(body) == ["message"]
    assert body["message"].startswith(
        "Internal Error. Details are available in Magento log file. Report ID: webapi-"
    )
    assert "handler broke" not in response.text


def test_business_error_with_positional_parameters(echo: TestClient) -> None:
    response = echo.post("/rest/V1/echo/prices/check", headers=JSON, json={"price": 1})
    assert (response.status_code, response.json()) == (
        400,
        {"message": "Price %1 is too low.", "parameters": [1.0]},
    )


def test_body_over_the_limit_is_413(echo_services, echo_auth: dict) -> None:
    from commerce_async.webapi.app import create_app

    echo_services.settings = echo_services.settings.replace(max_body_bytes=100)
    with TestClient(create_app(echo_services, consumers=0)) as small:
        response = small.post(
            "/rest/V1/echo/items",
            headers={**echo_auth, **JSON},
            json={"item": {"name": "x" * 200}},
        )
    assert response.status_code == 413
    assert response.json() == {
        "message": "The request body is larger than the limit of %limit bytes.",
        "parameters": {"limit": 100},
    }
