"""The Bulk Actions admin page: sign-in, form keys, the list and its filters, the details page,
retry, the JSON endpoints the page polls, and escaping of whatever API clients sent."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from markupsafe import escape
from starlette.testclient import TestClient

from commerce_async import bootstrap
from commerce_async.admin.session import SECRET_PATH
from commerce_async.auth.service import SIGN_IN_FAILED
from commerce_async.operations.consumer import Consumer
from commerce_async.setup import upgrade
from commerce_async.storage import schema
from commerce_async.webapi.app import create_app
from tests.echo_routes import TRANSIENT_FAILURES, all_routes
from tests.support import ADMIN_PASSWORD, admin_token, integration_token, make_settings

JSON = {"Content-Type": "application/json"}


def esc(text: str) -> str:
    """Text as the page's templates escape it."""
    return str(escape(text))


ECHO_TOPIC = "async.tests.echo.api.itemrepositoryinterface.save.post"
ECHO_DESCRIPTION = f"Topic {ECHO_TOPIC}"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(
        make_settings(tmp_path, lockout_failures=3, max_attempts=1), routes=all_routes()
    )
    upgrade(built)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def api_token(services: bootstrap.Services) -> str:
    """Creates the admin user ``admin`` (password ``ADMIN_PASSWORD``) and a REST token for it."""
    return admin_token(services)


@pytest.fixture
def client(services: bootstrap.Services, api_token: str) -> Iterator[TestClient]:
    with TestClient(create_app(services, consumers=0), base_url="http://127.0.0.1") as test_client:
        yield test_client


def form_key(page: str) -> str:
    match = re.search(r'name="form_key" value="([^"]+)"', page)
    assert match, "the page has no form key"
    return match.group(1)


def sign_in(client: TestClient, password: str = ADMIN_PASSWORD, **extra: str) -> Any:
    key = form_key(client.get("/admin/bulk/login").text)
    data = {"form_key": key, "username": "admin", "password": password, **extra}
    return client.post("/admin/bulk/login", data=data, follow_redirects=False)


def signed_in(client: TestClient) -> TestClient:
    response = sign_in(client)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/bulk")
    return client


def submit(client: TestClient, token: str, items: list[dict[str, Any]], **headers: str) -> str:
    response = client.post(
        "/rest/async/bulk/V1/echo/items",
        headers={"Authorization": f"Bearer {token}", **JSON, **headers},
        json=items,
    )
    assert response.status_code == 202, response.text
    return response.json()["bulk_uuid"]


def consume(services: bootstrap.Services, count: int) -> None:
    Consumer(services, services.new_source(), max_messages=count).run()


def operation_rows(services: bootstrap.Services, bulk_uuid: str) -> list[dict[str, Any]]:
    table = schema.magento_operation
    rows = services.db.run_read(
        lambda tx: tx.all(
            sa.select(
                table.c.operation_key,
                table.c.status,
                table.c.error_code,
                table.c.result_message,
                table.c.started_at,
            )
            .where(table.c.bulk_uuid == bulk_uuid)
            .order_by(table.c.operation_key)
        )
    )
    return [dict(row._mapping) for row in rows]


def queued_keys(services: bootstrap.Services, bulk_uuid: str) -> list[int]:
    table = schema.queue_message
    return services.db.run_read(
        lambda tx: [
            row.operation_key
            for row in tx.all(
                sa.select(table.c.operation_key)
                .where(table.c.bulk_uuid == bulk_uuid)
                .order_by(table.c.operation_key)
            )
        ]
    )


def start_time(services: bootstrap.Services, bulk_uuid: str) -> str:
    table = schema.magento_bulk
    return services.db.run_read(
        lambda tx: tx.scalar(sa.select(table.c.start_time).where(table.c.uuid == bulk_uuid))
    )


def session_payload(client: TestClient) -> dict[str, Any]:
    cookie = client.cookies["commerce_async_admin"]
    return json.loads(base64.b64decode(cookie.split(".")[0]))


def failed_bulk(client: TestClient, services: bootstrap.Services, token: str) -> str:
    """A finished bulk: item 0 complete, item 1 failed (unknown SKU, code 0)."""
    bulk_uuid = submit(client, token, [{"item": {"sku": "A-1"}}, {"item": {"sku": "missing"}}])
    consume(services, 2)
    return bulk_uuid


# --- signing in and out --------------------------------------------------------------------------


def test_pages_redirect_to_sign_in_and_json_answers_401(client: TestClient) -> None:
    response = client.get("/admin/bulk?status=3", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/admin/bulk/login?next=%2Fadmin%2Fbulk%3Fstatus%3D3",
    )
    response = client.get("/admin/bulk/api/bulks")
    assert (response.status_code, response.json()) == (401, {"message": "Sign in to continue."})


def test_sign_in_with_a_wrong_password_fails(client: TestClient) -> None:
    response = sign_in(client, password="Wrong123password")
    assert response.status_code == 401
    assert esc(SIGN_IN_FAILED) in response.text
    assert "token" not in session_payload(client)
    assert client.get("/admin/bulk", follow_redirects=False).status_code == 303


def test_sign_in_of_an_unknown_user_fails_alike(client: TestClient) -> None:
    key = form_key(client.get("/admin/bulk/login").text)
    response = client.post(
        "/admin/bulk/login",
        data={"form_key": key, "username": "nobody", "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 401
    assert esc(SIGN_IN_FAILED) in response.text


def test_sign_in_shares_the_lockout_of_the_token_route(client: TestClient) -> None:
    for _ in range(2):
        assert sign_in(client, password="Wrong123password").status_code == 401
    response = client.post(
        "/rest/V1/integration/admin/token",
        json={"username": "admin", "password": "Wrong123password"},
    )
    assert response.status_code == 401
    # Three failures (two here, one on the token route): now even the right password fails.
    response = sign_in(client)
    assert response.status_code == 401
    assert esc(SIGN_IN_FAILED) in response.text


def test_sign_in_success_sets_a_safe_session_cookie(client: TestClient) -> None:
    response = sign_in(client, next="/admin/bulk?status=2")
    assert (response.status_code, response.headers["location"]) == (303, "/admin/bulk?status=2")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("commerce_async_admin=")
    assert "; path=/admin/bulk;" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    page = client.get("/admin/bulk")
    assert page.status_code == 200
    assert "Signed in as <strong>admin</strong>" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_session_cookie_is_secure_when_asked(client: TestClient, tmp_path: Path) -> None:
    assert "secure" not in sign_in(client).headers["set-cookie"].lower()  # plain HTTP by default
    services = bootstrap.build(make_settings(tmp_path / "tls", admin_cookie_secure=True))
    upgrade(services)
    admin_token(services)
    try:
        app = create_app(services, consumers=0)
        with TestClient(app, base_url="https://127.0.0.1") as tls:
            cookie = sign_in(tls).headers["set-cookie"].lower()
            assert "; secure" in cookie and "httponly" in cookie
            assert tls.get("/admin/bulk").status_code == 200  # the browser sends it back on HTTPS
    finally:
        services.close()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin/bulk", "/rest"])
def test_sign_in_never_redirects_elsewhere(client: TestClient, target: str) -> None:
    response = sign_in(client, next=target)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/bulk")


def test_the_session_secret_is_generated_once_and_stored(
    services: bootstrap.Services, client: TestClient
) -> None:
    table = schema.core_config
    stored = services.db.run_read(
        lambda tx: tx.scalar(sa.select(table.c.value).where(table.c.path == SECRET_PATH))
    )
    assert isinstance(stored, str) and len(stored) >= 64
    signed_in(client)
    # A second application on the same database signs with the same secret: sessions survive.
    with TestClient(create_app(services, consumers=0), base_url="http://127.0.0.1") as other:
        other.cookies.update(client.cookies)
        assert other.get("/admin/bulk").status_code == 200


def test_logout_revokes_the_session_server_side(
    client: TestClient, services: bootstrap.Services
) -> None:
    signed_in(client)
    old_cookie = client.cookies["commerce_async_admin"]
    token = session_payload(client)["token"]
    key = form_key(client.get("/admin/bulk").text)
    response = client.post("/admin/bulk/logout", data={"form_key": key}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/admin/bulk/login")
    assert "You have signed out." in client.get("/admin/bulk/login").text
    assert client.get("/admin/bulk", follow_redirects=False).status_code == 303
    # Replaying the cookie from before the sign-out does not get back in: its token is revoked.
    client.cookies.set("commerce_async_admin", old_cookie, path="/admin/bulk")
    assert client.get("/admin/bulk", follow_redirects=False).status_code == 303
    response = client.get(
        "/rest/V1/bulk?searchCriteria[pageSize]=1", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_a_deactivated_admin_is_signed_out(
    client: TestClient, services: bootstrap.Services
) -> None:
    signed_in(client)
    services.db.run(lambda tx: tx.execute(schema.admin_user.update().values(is_active=False)))
    services.token_cache.clear()
    assert client.get("/admin/bulk", follow_redirects=False).status_code == 303


# --- form keys -----------------------------------------------------------------------------------


def test_sign_in_without_the_form_key_is_refused(client: TestClient) -> None:
    client.get("/admin/bulk/login")
    response = client.post(
        "/admin/bulk/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 403
    assert "Invalid form key. Please refresh the page." in response.text
    assert client.get("/admin/bulk", follow_redirects=False).status_code == 303


def test_retry_and_logout_with_a_wrong_form_key_are_refused(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    bulk_uuid = failed_bulk(client, services, api_token)
    signed_in(client)
    before = operation_rows(services, bulk_uuid)
    for data in ({}, {"form_key": "forged"}):
        response = client.post(f"/admin/bulk/details/{bulk_uuid}/retry", data=data)
        assert response.status_code == 403
        assert "Invalid form key. Please refresh the page." in response.text
        response = client.post("/admin/bulk/logout", data=data)
        assert response.status_code == 403
    assert operation_rows(services, bulk_uuid) == before
    assert queued_keys(services, bulk_uuid) == []
    assert client.get("/admin/bulk", follow_redirects=False).status_code == 200


def test_form_keys_differ_between_sessions(
    client: TestClient, services: bootstrap.Services
) -> None:
    signed_in(client)
    mine = form_key(client.get("/admin/bulk").text)
    with TestClient(create_app(services, consumers=0), base_url="http://127.0.0.1") as other:
        signed_in(other)
        theirs = form_key(other.get("/admin/bulk").text)
        response = other.post("/admin/bulk/logout", data={"form_key": mine})
        assert response.status_code == 403
    assert mine != theirs


# --- the list ------------------------------------------------------------------------------------


def bulk_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-bulk-id="([^"]+)">', page)


def test_list_shows_every_bulk_newest_first_with_truthful_status(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    erp = integration_token(services, "erp-sync")
    done = submit(client, api_token, [{"item": {"sku": "A-1"}}])
    consume(services, 1)
    failed = failed_bulk(client, services, api_token)
    waiting = submit(client, erp, [{"item": {"sku": "B-1"}}, {"item": {"sku": "B-2"}}])
    signed_in(client)
    page = client.get("/admin/bulk").text
    assert bulk_ids(page) == [waiting, failed, done]
    rows = page.split('<tr data-bulk-id="')[1:]
    assert '<span class="badge not-started" data-field="status">Not Started</span>' in rows[0]
    assert '<td class="nowrap">erp-sync<div class="meta">integration</div></td>' in rows[0]
    assert '<span data-field="open">2</span> open' in rows[0]
    assert '<span class="badge failure" data-field="status">Finished with Failure</span>' in rows[1]
    assert 'style="width: 50.0%"></span><span class="seg failed" style="width: 50.0%"' in rows[1]
    assert '<span class="badge success" data-field="status">Finished Successfully</span>' in rows[2]
    assert (
        '<span class="method post">POST</span> <span class="path">/V1/echo/items</span>' in rows[2]
    )
    assert f'<div class="topic">{ECHO_DESCRIPTION}</div>' in rows[2]
    day, time_of_day = start_time(services, done).split(" ")
    assert f'<td class="nowrap">{day}<div class="meta">{time_of_day}</div></td>' in rows[2]


def test_list_filters_by_status_and_user(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    erp = integration_token(services, "erp-sync")
    done = submit(client, api_token, [{"item": {"sku": "A-1"}}])
    consume(services, 1)
    failed = failed_bulk(client, services, api_token)
    waiting = submit(client, erp, [{"item": {"sku": "B-1"}}])
    running = submit(client, erp, [{"item": {"sku": "C-1"}}, {"item": {"sku": "C-2"}}])
    consume(services, 2)  # the waiting bulk's item and the first of the running one
    signed_in(client)
    assert bulk_ids(client.get("/admin/bulk?status=2").text) == [waiting, done]
    assert bulk_ids(client.get("/admin/bulk?status=3").text) == [failed]
    assert bulk_ids(client.get("/admin/bulk?status=1").text) == [running]
    assert bulk_ids(client.get("/admin/bulk?status=0").text) == []
    assert bulk_ids(client.get("/admin/bulk?user=integration-1").text) == [running, waiting]
    assert bulk_ids(client.get("/admin/bulk?user=admin-1").text) == [failed, done]
    assert bulk_ids(client.get("/admin/bulk?user=integration-1&status=2").text) == [waiting]
    page = client.get("/admin/bulk?user=integration-1").text
    assert '<option value="integration-1" selected>erp-sync (integration)</option>' in page
    assert '<option value="admin-1">admin (admin)</option>' in page
    assert "No bulks match these filters." in client.get("/admin/bulk?status=0").text


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [("status=9", "status", "9"), ("user=robot-1", "user", "robot-1"), ("page=0", "page", "0")],
)
def test_list_rejects_bad_filters(client: TestClient, query: str, field: str, value: str) -> None:
    signed_in(client)
    response = client.get(f"/admin/bulk?{query}")
    assert response.status_code == 400
    assert f"Invalid value of &#34;{value}&#34; provided for the {field} field." in response.text
    response = client.get(f"/admin/bulk/api/bulks?{query}")
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": 'Invalid value of "%value" provided for the %fieldName field.',
            "parameters": {"value": value, "fieldName": field},
        },
    )


def test_list_pages_by_twenty(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    created = [submit(client, api_token, [{"item": {"sku": f"P-{n}"}}]) for n in range(23)]
    signed_in(client)
    first = client.get("/admin/bulk").text
    assert bulk_ids(first) == created[::-1][:20]
    assert 'href="/admin/bulk?page=2">Older →</a>' in first
    assert '<span class="button small disabled">← Newer</span>' in first
    second = client.get("/admin/bulk?page=2").text
    assert bulk_ids(second) == created[::-1][20:]
    assert 'href="/admin/bulk">← Newer</a>' in second
    assert '<span class="button small disabled">Older →</span>' in second


# --- details and retry ---------------------------------------------------------------------------


def test_details_show_counts_failures_and_request_data(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    TRANSIENT_FAILURES["T-1"] = 1
    bulk_uuid = submit(
        client,
        api_token,
        [
            {"item": {"sku": "A-1"}},
            {"item": {"sku": "missing", "name": "Blue shirt", "price": 10.5}},
            {"item": {"sku": "T-1"}},
            {"item": {"sku": "W-1"}},
        ],
    )
    consume(services, 3)
    TRANSIENT_FAILURES.clear()
    signed_in(client)
    page = client.get(f"/admin/bulk/details/{bulk_uuid}").text
    counts = dict(re.findall(r'data-count="(\d)">(\d+)</span>', page))
    assert counts == {"1": "1", "2": "1", "3": "1", "4": "1", "5": "0"}
    assert '<span class="badge large in-progress" data-field="status">In Progress</span>' in page
    assert page.count('<li class="failed-op"') == 2
    assert '<p class="message">The item with SKU &#34;missing&#34; does not exist.</p>' in page
    assert '<p class="message">Database lock wait timeout exceeded</p>' in page
    request_data = json.dumps(
        {"item": {"sku": "missing", "name": "Blue shirt", "price": 10.5}}, indent=2
    )
    assert f'aria-label="Request data">{esc(request_data)}</pre>' in page
    # Both failures carry code 0: one group, one count.
    assert '<td><code>0</code></td>\n        <td class="num">2</td>' in page
    assert '<button type="submit" class="button primary">Retry failed</button>' in page
    assert f'<div class="uuid">Bulk {bulk_uuid}</div>' in page
    assert (
        '<h1 class="title"><span class="method post">POST</span> '
        '<span class="path">/V1/echo/items</span>\n</h1>'
    ) in page


def test_details_of_an_unknown_bulk_is_404(client: TestClient) -> None:
    signed_in(client)
    response = client.get("/admin/bulk/details/no-such-bulk")
    assert response.status_code == 404
    assert "Bulk uuid no-such-bulk not exist" in response.text
    response = client.get("/admin/bulk/api/bulks/no-such-bulk")
    assert (response.status_code, response.json()) == (
        404,
        {"message": "Bulk uuid %bulkUuid not exist", "parameters": {"bulkUuid": "no-such-bulk"}},
    )


def test_retry_reopens_the_failed_operations_and_queues_them(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    bulk_uuid = failed_bulk(client, services, api_token)
    signed_in(client)
    key = form_key(client.get(f"/admin/bulk/details/{bulk_uuid}").text)
    response = client.post(
        f"/admin/bulk/details/{bulk_uuid}/retry", data={"form_key": key}, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/admin/bulk/details/{bulk_uuid}",
    )
    rows = operation_rows(services, bulk_uuid)
    assert rows[1] == {
        "operation_key": 1,
        "status": 4,
        "error_code": None,
        "result_message": None,
        "started_at": None,
    }
    assert rows[0]["status"] == 1
    assert queued_keys(services, bulk_uuid) == [1]
    page = client.get(f"/admin/bulk/details/{bulk_uuid}").text
    assert '<div class="flash success" role="status">1 item(s) have been scheduled for update.' in (
        page
    )
    assert '<span class="badge large in-progress" data-field="status">In Progress</span>' in page
    assert "Retry failed" not in page
    # The message is shown once.
    assert "scheduled for update" not in client.get(f"/admin/bulk/details/{bulk_uuid}").text
    consume(services, 1)
    assert operation_rows(services, bulk_uuid)[1]["status"] == 3


def test_retry_by_error_code_reopens_only_that_code(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    bulk_uuid = failed_bulk(client, services, api_token)
    signed_in(client)
    key = form_key(client.get(f"/admin/bulk/details/{bulk_uuid}").text)
    url = f"/admin/bulk/details/{bulk_uuid}/retry"
    page = client.post(url, data={"form_key": key, "error_code": "7"}).text
    assert operation_rows(services, bulk_uuid)[1]["status"] == 3
    assert '<div class="flash notice" role="status">0 item(s) have been scheduled' in page
    client.post(url, data={"form_key": key, "error_code": "0"})
    assert operation_rows(services, bulk_uuid)[1]["status"] == 4
    response = client.post(url, data={"form_key": key, "error_code": "x"})
    assert response.status_code == 400


# --- the JSON endpoints the page polls -----------------------------------------------------------


def test_list_json_has_the_rows_figures(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    # Partial acceptance: the third item is rejected at once (status 5), the others queued.
    items = [{"item": {"sku": "A-1"}}, {"item": {"sku": "missing"}}, {}]
    bulk_uuid = submit(client, api_token, items, **{"X-Commerce-Async-Partial": "true"})
    consume(services, 1)
    signed_in(client)
    response = client.get("/admin/bulk/api/bulks")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    # The rows and pager the script swaps in when the rows change are the page's own.
    page = client.get("/admin/bulk").text
    rows_html, pager_html = body.pop("rows_html"), body.pop("pager_html")
    assert rows_html.startswith(f'<tr data-bulk-id="{bulk_uuid}">')
    assert pager_html.startswith('<nav class="pager"')
    assert rows_html in page
    assert pager_html in page
    assert body == {
        "page": 1,
        "has_next": False,
        "bulks": [
            {
                "bulk_id": bulk_uuid,
                "description": ECHO_DESCRIPTION,
                "route": "POST /V1/echo/items",
                "user": "admin",
                "user_type": "admin",
                "start_time": start_time(services, bulk_uuid),
                "operation_count": 3,
                "status": 1,
                "status_label": "In Progress",
                "status_class": "in-progress",
                "operations_by_status": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1},
                "progress": {
                    "complete": 1,
                    "failed": 1,
                    "open": 1,
                    "total": 3,
                    "percent": [33.33, 33.33, 33.34],
                },
            }
        ],
    }


def test_details_json_follows_the_operations(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    bulk_uuid = submit(client, api_token, [{"item": {"sku": "A-1"}}, {"item": {"sku": "missing"}}])
    signed_in(client)
    before = client.get(f"/admin/bulk/api/bulks/{bulk_uuid}").json()
    assert before["bulk"]["status_label"] == "Not Started"
    assert before["bulk"]["progress"]["percent"] == [0.0, 0.0, 100.0]
    assert before["failed_total"] == 0
    assert before["failures_html"] == (
        '<section class="card quiet">\n  <p>No failed operations.</p>\n</section>\n'
    )
    consume(services, 2)
    after = client.get(f"/admin/bulk/api/bulks/{bulk_uuid}").json()
    assert after["bulk"]["status_label"] == "Finished with Failure"
    assert after["bulk"]["operations_by_status"] == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 0}
    assert after["bulk"]["progress"]["percent"] == [50.0, 50.0, 0.0]
    assert after["failed_total"] == 1
    assert "The item with SKU &#34;missing&#34; does not exist." in after["failures_html"]
    assert after["failures_version"] != before["failures_version"]
    page = client.get(f"/admin/bulk/details/{bulk_uuid}").text
    assert f'<div id="failures" data-version="{after["failures_version"]}">' in page


# --- hostile data --------------------------------------------------------------------------------

# Script tags are refused at the edge (Magento's rule); everything else must be shown as text.
HOSTILE = '"></pre><img src=x onerror=alert(1)><b>bold</b>&amp;'


def test_everything_clients_sent_is_escaped(
    client: TestClient, services: bootstrap.Services, api_token: str
) -> None:
    evil = integration_token(services, HOSTILE)
    bulk_uuid = submit(client, evil, [{"item": {"sku": "missing", "name": HOSTILE}}])
    # A failure whose message repeats the input: retry a bulk that does not exist.
    response = client.post(
        f"/rest/async/V1/bulk/{quote(HOSTILE, safe='')}/retry",
        headers={"Authorization": f"Bearer {api_token}", **JSON},
        json={},
    )
    assert response.status_code == 202, response.text
    retry_bulk = response.json()["bulk_uuid"]
    consume(services, 2)
    signed_in(client)
    pages = {
        "list": client.get("/admin/bulk").text,
        "details": client.get(f"/admin/bulk/details/{bulk_uuid}").text,
        "retry details": client.get(f"/admin/bulk/details/{retry_bulk}").text,
        "details json": client.get(f"/admin/bulk/api/bulks/{retry_bulk}").json()["failures_html"],
    }
    for name, text in pages.items():
        assert "<img src=x" not in text, name
        assert "<b>bold" not in text, name
    assert esc(HOSTILE) + "<div" in pages["list"]  # the integration's name
    assert (
        esc(json.dumps({"item": {"sku": "missing", "name": HOSTILE}}, indent=2))
        in (pages["details"])
    )
    assert f"Bulk uuid {esc(HOSTILE)} not exist" in pages["retry details"]
    assert f"Bulk uuid {esc(HOSTILE)} not exist" in pages["details json"]
    # JSON carries the data as it is (the script only ever writes it as text), never as HTML.
    response = client.get("/admin/bulk/api/bulks")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert [bulk["user"] for bulk in response.json()["bulks"]] == ["admin", HOSTILE]
