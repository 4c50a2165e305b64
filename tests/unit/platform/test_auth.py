"""Admin tokens, integration tokens, lockout, ACL."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from commerce_async.auth import tokens
from commerce_async.storage import schema
from commerce_async.webapi.routes import USER_ADMIN
from tests.support import ADMIN_PASSWORD, admin_token, integration_token

JSON = {"Content-Type": "application/json"}
SIGN_IN_FAILED = {
    "message": "The account sign-in was incorrect or your account is disabled temporarily. "
    "Please wait and try again later."
}
TOKEN_URL = "/rest/V1/integration/admin/token"


def _login(client: TestClient, username: str, password: str):
    return client.post(TOKEN_URL, headers=JSON, json={"username": username, "password": password})


def test_admin_token_is_a_bare_string_that_works(client: TestClient, services) -> None:
    admin_token(services)  # creates the admin user
    response = _login(client, "admin", ADMIN_PASSWORD)
    assert response.status_code == 200
    token = response.json()
    assert isinstance(token, str) and len(token) >= 32
    views = client.get("/rest/V1/store/storeViews", headers={"Authorization": f"Bearer {token}"})
    assert views.status_code == 200


def test_token_is_stored_hashed(client: TestClient, services) -> None:
    admin_token(services)
    token = _login(client, "admin", ADMIN_PASSWORD).json()
    rows = services.db.run_read(lambda tx: tx.all(schema.oauth_token.select()))
    assert token not in {row.token_hash for row in rows}
    assert tokens.digest(token) in {row.token_hash for row in rows}
    password_hash = services.db.run_read(
        lambda tx: tx.scalar(
            schema.admin_user.select().with_only_columns(schema.admin_user.c.password_hash)
        )
    )
    assert password_hash.startswith("$argon2id$")


def test_missing_credentials(client: TestClient) -> None:
    response = client.post(TOKEN_URL, headers=JSON, json={"username": "", "password": None})
    assert response.status_code == 400
    assert response.json() == {
        "message": "One or more input exceptions have occurred.",
        "errors": [
            {
                "message": '"%fieldName" is required. Enter and try again.',
                "parameters": {"fieldName": "username"},
            },
            {
                "message": '"%fieldName" is required. Enter and try again.',
                "parameters": {"fieldName": "password"},
            },
        ],
    }
    response = client.post(TOKEN_URL, headers=JSON, json={"username": "admin", "password": ""})
    assert response.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "password"},
    }


def test_wrong_password_and_unknown_user(client: TestClient, services) -> None:
    admin_token(services)
    for username, password in (("admin", "wrong-password1"), ("nobody", ADMIN_PASSWORD)):
        response = _login(client, username, password)
        assert (response.status_code, response.json()) == (401, SIGN_IN_FAILED)


def test_lockout_after_six_failures(client: TestClient, services) -> None:
    admin_token(services)
    for _ in range(6):
        assert _login(client, "admin", "wrong-password1").status_code == 401
    response = _login(client, "admin", ADMIN_PASSWORD)
    assert (response.status_code, response.json()) == (401, SIGN_IN_FAILED)
    # When the lock has expired the right password works again and resets the counter.
    services.db.run(
        lambda tx: tx.execute(schema.login_failure.update().values(lock_expires=time.time() - 1))
    )
    assert _login(client, "admin", ADMIN_PASSWORD).status_code == 200
    assert services.db.run_read(lambda tx: tx.all(schema.login_failure.select())) == []


def test_success_resets_the_failure_counter(client: TestClient, services) -> None:
    admin_token(services)
    for _ in range(5):
        _login(client, "admin", "wrong-password1")
    assert _login(client, "admin", ADMIN_PASSWORD).status_code == 200
    for _ in range(5):
        _login(client, "admin", "wrong-password1")
    assert _login(client, "admin", ADMIN_PASSWORD).status_code == 200


def test_expired_and_revoked_tokens_make_a_guest(client: TestClient, services) -> None:
    expired = services.db.run(
        lambda tx: tokens.issue(tx, USER_ADMIN, _admin_id(tx, services), 10, time.time() - 60)
    )
    revoked = admin_token(services)
    services.db.run(lambda tx: tokens.revoke(tx, revoked))
    for token in (expired, revoked, "not-a-token"):
        response = client.get(
            "/rest/V1/store/storeViews", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert response.json()["parameters"] == {"resources": "Magento_Backend::store"}


def _admin_id(tx, services) -> int:
    from commerce_async.auth.service import create_admin_user

    return create_admin_user(tx, "other", ADMIN_PASSWORD)


def test_integration_token_is_limited_to_its_resources(client: TestClient, services) -> None:
    token = integration_token(services, "stores-only", ["Magento_Backend::store"])
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/rest/V1/store/websites", headers=headers).status_code == 200
    response = client.get("/rest/V1/bulk/x/detailed-status", headers=headers)
    assert response.status_code == 404  # its own bulks only: an unknown bulk is not found
    other = integration_token(services, "bulk-reader", ["Some_Module::other"])
    response = client.get("/rest/V1/store/websites", headers={"Authorization": f"Bearer {other}"})
    assert (response.status_code, response.json()) == (
        401,
        {
            "message": "The consumer isn't authorized to access %resources.",
            "parameters": {"resources": "Magento_Backend::store"},
        },
    )


def test_store_endpoints(client: TestClient, auth: dict) -> None:
    assert client.get("/rest/V1/store/websites", headers=auth).json() == [
        {"id": 0, "code": "admin", "name": "Admin", "default_group_id": 0},
        {"id": 1, "code": "base", "name": "Main Website", "default_group_id": 1},
    ]
    assert client.get("/rest/V1/store/storeGroups", headers=auth).json() == [
        {
            "id": 0,
            "website_id": 0,
            "root_category_id": 0,
            "default_store_id": 0,
            "name": "Default",
            "code": "default",
        },
        {
            "id": 1,
            "website_id": 1,
            "root_category_id": 2,
            "default_store_id": 1,
            "name": "Main Website Store",
            "code": "main_website_store",
        },
    ]
    configs = client.get("/rest/V1/store/storeConfigs?storeCodes[]=default", headers=auth).json()
    assert [config["code"] for config in configs] == ["default"]
    assert list(configs[0]) == [
        "id",
        "code",
        "website_id",
        "locale",
        "base_currency_code",
        "default_display_currency_code",
        "timezone",
        "weight_unit",
        "base_url",
        "base_link_url",
        "base_static_url",
        "base_media_url",
        "secure_base_url",
        "secure_base_link_url",
        "secure_base_static_url",
        "secure_base_media_url",
    ]
    none = client.get("/rest/V1/store/storeConfigs?storeCodes[]=nosuch", headers=auth).json()
    assert none == []
