"""A newcomer's first minutes, as the README tells them: start, get a token, list store views."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.support import ServerProcess, cli, process_env


def test_first_start_creates_an_admin_and_prints_how_to_get_a_token(tmp_path: Path) -> None:
    env = process_env(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    cli(env, "setup:upgrade")
    log = tmp_path / "server.log"
    server = ServerProcess(env, consumers=1, log_path=log).start()
    try:
        output = log.read_text()
        match = re.search(r"password: (\S+)", output)
        assert match, output
        password = match.group(1)
        assert "curl -s -X POST" in output and "/rest/V1/integration/admin/token" in output
        token = httpx.post(
            f"{server.base_url}/rest/V1/integration/admin/token",
            json={"username": "admin", "password": password},
        ).json()
        views = httpx.get(
            f"{server.base_url}/rest/default/V1/store/storeViews",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert views.status_code == 200
        assert [view["code"] for view in views.json()] == ["admin", "default"]
    finally:
        server.stop()
    # A second start finds the admin and prints no new password.
    log.write_text("")
    again = ServerProcess(env, consumers=0, log_path=log).start()
    again.stop()
    assert "password:" not in log.read_text()
