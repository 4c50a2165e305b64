"""A real server and its consumer, logging at DEBUG: no password or token that went through it
appears in its output, whatever succeeded or failed."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from commerce_async.auth import tokens
from commerce_async.webapi.routes import USER_ADMIN
from tests.faults import harness
from tests.support import ADMIN_PASSWORD, admin_token

pytestmark = [pytest.mark.acceptance, pytest.mark.xdist_group("faults")]

SYNC_PASSWORD = "Sync!Passw0rd-77"
QUEUED_PASSWORD = "Queued!Passw0rd-88"
FAILED_PASSWORD = "Failed!Passw0rd-99"
WRONG_GUESS = "Wrong!Guess-1234"


def account(email: str, password: str) -> dict:
    return {"customer": {"email": email, "firstname": "L", "lastname": "Og"}, "password": password}


def test_no_secret_in_the_server_output(tmp_path: Path) -> None:
    services = harness.probe_services(tmp_path)
    admin_token(services)  # the admin user exists: the server prints no first-start password
    expired = services.db.run(lambda tx: tokens.issue(tx, USER_ADMIN, 1, 1, time.time() - 3600))
    env = harness.env_for(services, log_level="DEBUG", log_format="json")
    log = tmp_path / "server.log"
    server = harness.Server(env, log, consumers=1).start()
    look = harness.Look(services)
    secrets = [
        ADMIN_PASSWORD,
        SYNC_PASSWORD,
        QUEUED_PASSWORD,
        FAILED_PASSWORD,
        WRONG_GUESS,
        expired,
    ]
    with (
        harness.stopped_at_exit(server),
        httpx.Client(base_url=server.base_url, timeout=60) as http,
    ):
        for password in (WRONG_GUESS, ADMIN_PASSWORD):
            http.post(
                "/rest/V1/integration/admin/token",
                json={"username": "admin", "password": password},
            )
        admin = http.post(
            "/rest/V1/integration/admin/token",
            json={"username": "admin", "password": ADMIN_PASSWORD},
        ).json()
        bearer = {"Authorization": f"Bearer {admin}"}
        assert http.post(
            "/rest/V1/customers", json=account("s@example.com", SYNC_PASSWORD)
        ).is_success
        customer = http.post(
            "/rest/V1/integration/customer/token",
            json={"username": "s@example.com", "password": SYNC_PASSWORD},
        ).json()
        queued = http.post(
            "/rest/async/bulk/V1/customers",
            json=[
                account("q@example.com", QUEUED_PASSWORD),
                account("not-an-email", FAILED_PASSWORD),
            ],
            headers=bearer,
        )
        assert queued.status_code == 202
        weak = http.post("/rest/V1/customers", json=account("w@example.com", "weak"))
        assert weak.status_code == 400 and "weak" not in weak.text
        for token in (admin, customer, expired, "garbage-token-" + "z" * 30):
            http.get("/rest/V1/store/websites", headers={"Authorization": f"Bearer {token}"})
            http.get("/rest/V1/customers/me", headers={"Authorization": f"Bearer {token}"})
        harness.wait_until(lambda: look.open_operations() == 0, 120, "operations left open")
        secrets += [admin, customer, "garbage-token-" + "z" * 30]
        server.signal(signal.SIGTERM)
        server.wait(60)

    output = log.read_text()
    assert '"level": "DEBUG"' in output  # it really logged at DEBUG
    assert "operation failed" in output and "bulk accepted" in output
    for secret in secrets:
        assert secret not in output, secret
