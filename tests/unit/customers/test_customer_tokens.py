"""Customer tokens, ``me`` routes, revocation and lockout."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from commerce_async.webapi.app import create_app
from tests.support import make_services
from tests.unit.customers.conftest import JSON, PASSWORD, without_times

SIGN_IN_FAILED = {
    "message": "The account sign-in was incorrect or your account is disabled temporarily. "
    "Please wait and try again later."
}


def unauthorized(resources: str) -> dict:
    return {
        "message": "The consumer isn't authorized to access %resources.",
        "parameters": {"resources": resources},
    }


def register(call, email: str = "jdoe@example.com", **fields) -> dict:
    customer = {"email": email, "firstname": "Jane", "lastname": "Doe", **fields}
    status, body = call("POST", "/rest/V1/customers", {"customer": customer, "password": PASSWORD})
    assert status == 200, body
    return body


def sign_in(call, email: str = "jdoe@example.com", password: str = PASSWORD, store: str = "V1"):
    prefix = "/rest/V1" if store == "V1" else f"/rest/{store}/V1"
    return call(
        "POST", f"{prefix}/integration/customer/token", {"username": email, "password": password}
    )


def test_token_and_me_routes(call, token) -> None:
    jane = register(call)
    register(call, "other@example.com")
    status, customer_token = sign_in(call)
    assert status == 200 and isinstance(customer_token, str) and len(customer_token) >= 32
    assert call("GET", "/rest/V1/customers/me", token=customer_token) == (200, jane)
    # The store code does not matter; the email matches ignoring case.
    status, via_all = sign_in(call, "JDOE@example.com", store="all")
    assert status == 200 and via_all != customer_token
    # PUT me changes the caller's own account, whatever ids the body names.
    change = {"customerId": 2, "customer": {"id": 2, "firstname": "Janet"}}
    status, body = call("PUT", "/rest/V1/customers/me", change, customer_token)
    assert (status, body["id"], body["firstname"]) == (200, 1, "Janet")
    assert call("GET", "/rest/V1/customers/2", token=token)[1]["firstname"] == "Jane"
    # A customer may not move itself to another group or website.
    for field, value in (("group_id", 2), ("website_id", 5)):
        assert call(
            "PUT", "/rest/V1/customers/me", {"customer": {field: value}}, customer_token
        ) == (401, unauthorized("Magento_Customer::manage"))
    same_group = {"customer": {"group_id": 1, "lastname": "Roe"}}
    status, body = call("PUT", "/rest/V1/customers/me", same_group, customer_token)
    assert without_times(body) == {**without_times(jane), "firstname": "Janet", "lastname": "Roe"}


def test_a_customer_token_reaches_no_admin_route(call, token) -> None:
    register(call)
    customer_token = sign_in(call)[1]
    for method, path, resources in (
        ("GET", "/rest/V1/customers/1", "Magento_Customer::customer"),
        ("DELETE", "/rest/V1/customers/1", "Magento_Customer::manage"),
        ("GET", "/rest/V1/store/storeViews", "Magento_Backend::store"),
        ("GET", "/rest/V1/categories/2", "Magento_Catalog::categories"),
        ("POST", "/rest/async/V1/categories", "Magento_Catalog::categories"),
    ):
        body = {"category": {"name": "X"}} if method == "POST" else None
        assert call(method, path, body, customer_token) == (401, unauthorized(resources))
    # Nor do admin or guest callers reach the self routes.
    assert call("GET", "/rest/V1/customers/me", token=token) == (401, unauthorized("self"))
    assert call("GET", "/rest/V1/customers/me") == (401, unauthorized("self"))


def test_sign_in_errors_and_revocation(call) -> None:
    register(call)
    assert sign_in(call, password="Wrong-Passw0rd") == (401, SIGN_IN_FAILED)
    assert sign_in(call, "nobody@example.com") == (401, SIGN_IN_FAILED)
    required = '"%fieldName" is required. Enter and try again.'
    assert call("POST", "/rest/V1/integration/customer/token", {}) == (
        400,
        {
            "message": "One or more input exceptions have occurred.",
            "errors": [
                {"message": required, "parameters": {"fieldName": "username"}},
                {"message": required, "parameters": {"fieldName": "password"}},
            ],
        },
    )
    first = sign_in(call)[1]
    second = sign_in(call)[1]
    path = "/rest/V1/integration/customer/revoke-customer-token"
    assert call("POST", path, {}, first) == (200, True)
    for revoked in (first, second):
        assert call("GET", "/rest/V1/customers/me", token=revoked) == (401, unauthorized("self"))
    assert call("POST", path, {}) == (401, unauthorized("self"))
    # An account without a password cannot sign in.
    customer = {"email": "nopass@example.com", "firstname": "No", "lastname": "Pass"}
    assert call("POST", "/rest/V1/customers", {"customer": customer})[0] == 200
    assert sign_in(call, "nopass@example.com") == (401, SIGN_IN_FAILED)


def test_token_routes_have_no_async_twin(call) -> None:
    body = {"username": "a@b.io", "password": PASSWORD}
    for route in ("token", "revoke-customer-token"):
        assert call("POST", f"/rest/async/V1/integration/customer/{route}", body) == (
            405,
            {"message": "The POST HTTP method is not supported."},
        )


def test_deleting_the_account_kills_its_tokens(call, token) -> None:
    register(call)
    customer_token = sign_in(call)[1]
    assert call("DELETE", "/rest/V1/customers/1", token=token) == (200, True)
    assert call("GET", "/rest/V1/customers/me", token=customer_token) == (
        401,
        unauthorized("self"),
    )


def test_lockout_after_repeated_failures(tmp_path: Path) -> None:
    services = make_services(tmp_path, lockout_failures=3, lockout_seconds=600)
    try:
        with TestClient(create_app(services, consumers=0)) as client:

            def call(method, path, body=None, token=None):
                headers = dict(JSON)
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                response = client.request(method, path, json=body, headers=headers)
                return response.status_code, response.json()

            register(call)
            register(call, "other@example.com")
            for _ in range(3):
                assert sign_in(call, password="Wrong-Passw0rd") == (401, SIGN_IN_FAILED)
            # Locked: even the right password fails, for this account only.
            assert sign_in(call) == (401, SIGN_IN_FAILED)
            assert sign_in(call, "JDOE@EXAMPLE.COM") == (401, SIGN_IN_FAILED)
            assert sign_in(call, "other@example.com")[0] == 200
    finally:
        services.close()
