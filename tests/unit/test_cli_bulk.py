"""``bulk:*`` and ``queue:*`` commands, in-process with click's runner (one real process too)."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from commerce_async.bootstrap import Services
from commerce_async.cli import main
from commerce_async.operations.consumer import Consumer
from commerce_async.storage import schema
from tests.support import cli, process_env

JSON = {"Content-Type": "application/json"}
TOPIC = "Topic async.tests.echo.api.itemrepositoryinterface.save.post"
COMMANDS = (
    "bulk:list",
    "bulk:status",
    "bulk:watch",
    "bulk:retry",
    "queue:consumers:list",
    "queue:status",
)


@pytest.fixture
def run(echo_services: Services) -> Iterator[Any]:
    """``run("bulk:list", ...)`` against the echo services' database; logging restored after."""
    runner = CliRunner()
    root = logging.getLogger()

    def invoke(*args: str) -> Result:
        handlers, level = list(root.handlers), root.level
        try:
            return runner.invoke(main, ["--db-url", echo_services.settings.db_url, *args])
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)

    yield invoke


def lines(result: Result) -> list[str]:
    return [line.rstrip() for line in result.output.splitlines()]


def drain(services: Services) -> None:
    consumer = Consumer(services, services.new_source())
    while deliveries := consumer.source.claim(services.settings.consumer_batch, timeout=0):
        consumer.process(deliveries)


def accept(client: TestClient, auth: dict[str, str], skus: list[str]) -> str:
    response = client.post(
        "/rest/default/async/bulk/V1/echo/items",
        json=[{"item": {"sku": sku}} for sku in skus],
        headers={**auth, **JSON},
    )
    assert response.status_code == 202
    return response.json()["bulk_uuid"]


def set_start_time(services: Services, bulk_uuid: str, text: str) -> None:
    table = schema.magento_bulk
    services.db.run(
        lambda tx: tx.execute(
            table.update().where(table.c.uuid == bulk_uuid).values(start_time=text)
        )
    )


@pytest.fixture
def two_bulks(
    echo: TestClient, echo_services: Services, echo_auth: dict[str, str]
) -> tuple[str, str]:
    """A finished bulk with one failure (older) and a bulk not started yet (newer)."""
    finished = accept(echo, echo_auth, ["a", "missing"])
    drain(echo_services)
    waiting = accept(echo, echo_auth, ["b", "c", "d"])
    set_start_time(echo_services, finished, "2026-01-02 03:04:05")
    set_start_time(echo_services, waiting, "2026-01-02 03:05:00")
    return finished, waiting


# --- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: main {command} [OPTIONS]")


def test_watch_help_names_its_exit_statuses() -> None:
    result = CliRunner().invoke(main, ["bulk:watch", "--help"])
    assert "Exit status: 0 finished successfully, 1 finished with failures (failed or" in (
        result.output
    )
    assert "rejected operations), 2 timed out, 3 no such bulk." in result.output


# --- bulk:list -----------------------------------------------------------------------------------


def test_list_shows_bulks_newest_first(run: Any, two_bulks: tuple[str, str]) -> None:
    finished, waiting = two_bulks
    result = run("bulk:list")
    assert result.exit_code == 0
    width = len(TOPIC)
    assert lines(result) == [
        f"bulk uuid{' ' * 30}description{' ' * (width - 8)}user       started (UTC)         "
        "status                  operations",
        lines(result)[1],
        f"{waiting}   {TOPIC}   admin #1   2026-01-02 03:05:00   Not Started             3: 3 open",
        f"{finished}   {TOPIC}   admin #1   2026-01-02 03:04:05   Finished with Failure   "
        "2: 1 complete, 1 failed",
    ]
    assert set(lines(result)[1]) == {"─"}


def test_list_filters(run: Any, two_bulks: tuple[str, str]) -> None:
    finished, waiting = two_bulks

    def listed(*args: str) -> list[str]:
        result = run("bulk:list", "--json", *args)
        assert result.exit_code == 0, result.output
        return [entry["bulk_id"] for entry in json.loads(result.output)]

    assert listed() == [waiting, finished]
    assert listed("--status", "3") == [finished]
    assert listed("--status", "0") == [waiting]
    assert listed("--status", "2") == []
    assert listed("--user-type", "2", "--user-id", "1") == [waiting, finished]
    assert listed("--user-type", "1", "--user-id", "1") == []
    assert listed("--limit", "1") == [waiting]
    empty = run("bulk:list", "--status", "2")
    assert empty.exit_code == 0
    assert empty.output == "No bulks.\n"


def test_list_json_is_the_service_entry(run: Any, two_bulks: tuple[str, str]) -> None:
    finished, _ = two_bulks
    result = run("bulk:list", "--json", "--status", "3")
    assert json.loads(result.output) == [
        {
            "bulk_id": finished,
            "description": TOPIC,
            "user_type": 2,
            "user_id": 1,
            "start_time": "2026-01-02 03:04:05",
            "operation_count": 2,
            "status": 3,
            "status_label": "Finished with Failure",
            "operations_by_status": {"1": 1, "2": 0, "3": 1, "4": 0, "5": 0},
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--user-id", "3"), "Error: --user-id needs --user-type."),
        (("--user-type", "2"), "Error: --user-type needs --user-id (except 4, guest)."),
        (("--status", "7"), "Error: Invalid value for '--status': 7 is not in the range 0<=x<=3."),
    ],
)
def test_list_refuses_incomplete_filters(run: Any, args: tuple[str, ...], message: str) -> None:
    result = run("bulk:list", *args)
    assert result.exit_code == 2
    assert lines(result)[-1] == message


# --- bulk:status ---------------------------------------------------------------------------------


def test_status_shows_the_summary_and_each_operation(run: Any, two_bulks: tuple[str, str]) -> None:
    finished, _ = two_bulks
    result = run("bulk:status", finished)
    assert result.exit_code == 0
    success = "Service execution success Tests\\Echo\\Model\\ItemRepository::save"
    assert lines(result) == [
        f"Bulk:        {finished}",
        f"Description: {TOPIC}",
        "User:        admin #1",
        "Started:     2026-01-02 03:04:05 UTC",
        "Status:      Finished with Failure",
        "Operations:  2 (1 complete, 0 retriably failed, 1 not retriably failed, 0 open, "
        "0 rejected)",
        "id   status                 error code   result message",
        "─" * (3 + 2 + 20 + 3 + 10 + 3 + len(success)),
        f"0    complete                            {success}",
        '1    not retriably failed   0            The item with SKU "missing" does not exist.',
    ]


def test_status_json(run: Any, two_bulks: tuple[str, str]) -> None:
    _, waiting = two_bulks
    result = run("bulk:status", waiting, "--json")
    body = json.loads(result.output)
    assert body["status_label"] == "Not Started"
    assert body["waiting_for_retry"] == 0
    assert body["operations"] == [
        {"id": key, "status": 4, "result_message": None, "error_code": None} for key in range(3)
    ]


def test_status_of_an_unknown_bulk(run: Any) -> None:
    result = run("bulk:status", "no-such-bulk")
    assert result.exit_code == 1
    assert result.output == "Error: Bulk uuid no-such-bulk not exist\n"


# --- bulk:watch ----------------------------------------------------------------------------------


def test_watch_of_a_bulk_finished_with_failures_exits_1(
    run: Any, two_bulks: tuple[str, str]
) -> None:
    finished, _ = two_bulks
    result = run("bulk:watch", finished)
    assert result.exit_code == 1
    assert lines(result)[-1] == (
        "Finished with Failure: 1 complete, 0 retriably failed, 1 not retriably failed, "
        "0 open, 0 rejected."
    )
    assert re.fullmatch(rf"{finished} ━+ 2/2 Finished with Failure", lines(result)[-2])


def test_watch_times_out_with_2(run: Any, two_bulks: tuple[str, str]) -> None:
    _, waiting = two_bulks
    result = run("bulk:watch", waiting, "--timeout", "0")
    assert result.exit_code == 2
    assert lines(result)[-1] == (
        "Timed out: Not Started: 0 complete, 0 retriably failed, 0 not retriably failed, "
        "3 open, 0 rejected."
    )


def test_watch_of_an_unknown_bulk_exits_3(run: Any) -> None:
    result = run("bulk:watch", "no-such-bulk")
    assert result.exit_code == 3
    assert result.output == "Error: Bulk uuid no-such-bulk not exist\n"


def test_watch_follows_a_bulk_until_it_is_done(
    run: Any, echo: TestClient, echo_services: Services, echo_auth: dict[str, str]
) -> None:
    """A consumer works while the command watches; it ends when the last operation is done."""
    bulk_uuid = accept(echo, echo_auth, [f"w{n}" for n in range(20)])
    consumer = Consumer(echo_services, echo_services.new_source(), max_messages=20)
    worker = threading.Thread(target=consumer.run)
    worker.start()
    try:
        result = run("bulk:watch", bulk_uuid, "--interval", "0.05", "--timeout", "120")
    finally:
        worker.join(60)
    assert result.exit_code == 0, result.output
    assert lines(result)[-1] == (
        "Finished Successfully: 20 complete, 0 retriably failed, 0 not retriably failed, "
        "0 open, 0 rejected."
    )


# --- bulk:retry ----------------------------------------------------------------------------------


def operation_rows(services: Services, bulk_uuid: str) -> list[tuple[int, int]]:
    table = schema.magento_operation
    return [
        (row.operation_key, row.status)
        for row in services.db.run_read(
            lambda tx: tx.all(
                sa.select(table)
                .where(table.c.bulk_uuid == bulk_uuid)
                .order_by(table.c.operation_key)
            )
        )
    ]


def queued_keys(services: Services, bulk_uuid: str) -> list[int]:
    table = schema.queue_message
    return sorted(
        row.operation_key
        for row in services.db.run_read(
            lambda tx: tx.all(sa.select(table).where(table.c.bulk_uuid == bulk_uuid))
        )
    )


def test_retry_reopens_failed_operations(
    run: Any, echo: TestClient, echo_services: Services, echo_auth: dict[str, str]
) -> None:
    bulk_uuid = accept(echo, echo_auth, ["ok", "missing", "boom", "missing"])
    drain(echo_services)
    assert operation_rows(echo_services, bulk_uuid) == [(0, 1), (1, 3), (2, 3), (3, 3)]

    nothing = run("bulk:retry", bulk_uuid, "--error-code", "42")
    assert nothing.exit_code == 0
    assert nothing.output == "No failed operation matched; nothing was scheduled.\n"

    one = run("bulk:retry", bulk_uuid, "--operation-id", "2", "--error-code", "0")
    assert one.exit_code == 0
    assert one.output == "1 item(s) have been scheduled for update.\n"
    assert operation_rows(echo_services, bulk_uuid) == [(0, 1), (1, 3), (2, 4), (3, 3)]
    assert queued_keys(echo_services, bulk_uuid) == [2]

    rest = run("bulk:retry", bulk_uuid)
    assert rest.output == "2 item(s) have been scheduled for update.\n"
    assert operation_rows(echo_services, bulk_uuid) == [(0, 1), (1, 4), (2, 4), (3, 4)]
    assert queued_keys(echo_services, bulk_uuid) == [1, 2, 3]

    drain(echo_services)
    assert operation_rows(echo_services, bulk_uuid) == [(0, 1), (1, 3), (2, 3), (3, 3)]


def test_retry_of_an_unknown_bulk(run: Any) -> None:
    result = run("bulk:retry", "no-such-bulk")
    assert result.exit_code == 1
    assert result.output == "Error: Bulk uuid no-such-bulk not exist\n"


# --- queue:status and queue:consumers:list -------------------------------------------------------


def test_queue_status_of_an_idle_system(run: Any) -> None:
    result = run("queue:status")
    assert result.exit_code == 0
    assert lines(result) == [
        "Open operations:             0",
        "Oldest open operation:       -",
        "Messages ready:              0",
        "Messages in flight:          0",
        "Messages waiting for retry:  0",
        "Oldest ready message:        -",
        "Consumers alive:             0 of 0 seen (heartbeat in the last 30s)",
    ]


def test_queue_status_shows_the_backlog(
    run: Any, two_bulks: tuple[str, str], echo_services: Services
) -> None:
    messages, operations = schema.queue_message, schema.magento_operation
    echo_services.db.run(
        lambda tx: (
            tx.execute(messages.update().values(available_at=messages.c.available_at - 3725)),
            tx.execute(operations.update().values(accepted_at=operations.c.accepted_at - 7500)),
        )
    )
    result = run("queue:status")
    assert result.exit_code == 0
    assert lines(result) == [
        "Open operations:             3",
        "Oldest open operation:       2h 05m",
        "Messages ready:              3",
        "Messages in flight:          0",
        "Messages waiting for retry:  0",
        "Oldest ready message:        1h 02m",
        "Consumers alive:             0 of 0 seen (heartbeat in the last 30s)",
    ]
    as_json = json.loads(run("queue:status", "--json").output)
    assert {k: v for k, v in as_json.items() if not k.startswith("oldest")} == {
        "ready": 3,
        "in_flight": 0,
        "waiting_retry": 0,
        "open_operations": 3,
        "consumers_alive": 0,
        "consumers_seen": 0,
        "transport": "db",
    }


def test_consumers_are_listed_from_their_heartbeats(run: Any, echo_services: Services) -> None:
    now = time.time()
    table = schema.consumer_heartbeat
    rows = [
        ("host-a:101:1:1", "host-a", 101, now - 7200, now - 3, 42, "running"),
        ("host-b:202:1:1", "host-b", 202, now - 90000, now - 86400, 7, "stopped"),
    ]
    echo_services.db.run(
        lambda tx: tx.execute(
            table.insert(),
            [
                {
                    "consumer_id": consumer_id,
                    "consumer_name": "async.operations.all",
                    "hostname": host,
                    "pid": pid,
                    "started_at": started,
                    "last_seen": seen,
                    "processed": processed,
                    "state": state,
                }
                for consumer_id, host, pid, started, seen, processed, state in rows
            ],
        )
    )
    result = run("queue:consumers:list")
    assert result.exit_code == 0
    output = lines(result)
    assert output[0].split() == [
        "consumer", "id", "host", "pid", "started", "(UTC)", "last", "seen", "(UTC)",
        "processed", "state", "alive",
    ]  # fmt: skip
    assert re.fullmatch(
        r"host-a:101:1:1 +host-a +101 +\S+ \S+ +\S+ \S+ \(\d+s ago\) +42 +running +yes", output[2]
    )
    assert re.fullmatch(
        r"host-b:202:1:1 +host-b +202 +\S+ \S+ +\S+ \S+ \(1d 00h ago\) +7 +stopped +no",
        output[3],
    )
    listed = json.loads(run("queue:consumers:list", "--json").output)
    assert [(c["consumer_id"], c["alive"], c["processed"]) for c in listed] == [
        ("host-a:101:1:1", True, 42),
        ("host-b:202:1:1", False, 7),
    ]
    status = run("queue:status")
    assert (
        lines(status)[-1] == "Consumers alive:             1 of 2 seen (heartbeat in the last 30s)"
    )
    none_alive = run("queue:consumers:list", "--alive-seconds", "1", "--json")
    assert [c["alive"] for c in json.loads(none_alive.output)] == [False, False]


def test_no_consumers_yet(run: Any) -> None:
    result = run("queue:consumers:list")
    assert result.output == "No consumer has sent a heartbeat yet.\n"


# --- a real process ------------------------------------------------------------------------------


def test_commands_in_a_real_process(tmp_path: Path) -> None:
    env = process_env(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    cli(env, "setup:upgrade")
    listed = cli(env, "bulk:list")
    assert (listed.returncode, listed.stdout) == (0, "No bulks.\n")
    watched = cli(env, "bulk:watch", "nothing-here", check=False)
    assert (watched.returncode, watched.stderr) == (3, "Error: Bulk uuid nothing-here not exist\n")
