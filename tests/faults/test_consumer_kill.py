"""Consumers killed with SIGKILL at random moments: every operation still ends terminal and takes
effect exactly once (counted on the data, not only on the statuses)."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from commerce_async.webapi.app import create_app
from tests.faults import harness
from tests.support import admin_token

pytestmark = [pytest.mark.acceptance, pytest.mark.xdist_group("faults")]

# The CI run does the full 10,000 operations and 20 kills; set these lower for a quick local run.
OPERATIONS = int(os.environ.get("FAULT_TEST_OPERATIONS", "10000"))
KILLS = int(os.environ.get("FAULT_TEST_KILLS", "20"))
LEASE_SECONDS = 2
SUCCESS = "Service execution success CommerceAsync\\Faults\\Model\\Effect::record"


def accept_operations(services, count: int) -> list[str]:
    """Queue ``count`` probe operations through the bulk endpoint; returns their tags."""
    token = admin_token(services)
    tags = [f"op-{index}" for index in range(count)]
    with TestClient(create_app(services, consumers=0)) as client:
        for start in range(0, count, 1000):
            response = client.post(
                "/rest/async/bulk/V1/faults/effects",
                json=[{"tag": tag} for tag in tags[start : start + 1000]],
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 202, response.text
    return tags


def test_sigkill_consumers_twenty_times_every_operation_applied_exactly_once(
    tmp_path: Path,
) -> None:
    services = harness.probe_services(tmp_path, lease_seconds=LEASE_SECONDS)
    look = harness.Look(services)
    tags = accept_operations(services, OPERATIONS)
    assert look.status_counts() == {4: OPERATIONS}

    seed = int(os.environ.get("FAULT_TEST_SEED", str(time.time_ns())))
    chance = random.Random(seed)
    env = harness.env_for(services, lease_seconds=LEASE_SECONDS)
    logs = tmp_path / "consumers.log"
    pool = harness.ConsumerPool(look, env, logs, chance)
    try:
        for kill, point in enumerate(harness.kill_points(OPERATIONS, KILLS, chance)):
            harness.wait_until(
                lambda point=point: harness.completed_operations(look) >= point,
                300,
                f"no progress to {point} completed operations (seed {seed})",
                0.05,
            )
            pool.kill_one()
            assert look.open_operations() > 0, f"the run ended before kill {kill + 1} (seed {seed})"
        harness.wait_until(
            lambda: look.open_operations() == 0, 300, f"operations left open (seed {seed})", 0.2
        )
    finally:
        pool.stop()

    assert pool.kills == KILLS
    assert pool.kills_with_work_in_flight > 0, f"no kill hit a consumer at work (seed {seed})"
    assert look.status_counts() == {1: OPERATIONS}
    assert look.duplicated_effects() == [], f"effects applied twice (seed {seed})"
    assert look.value("SELECT count(*) FROM fault_effect") == OPERATIONS
    assert look.effect_tags() == set(tags)
    assert look.value("SELECT count(*) FROM queue_message") == 0
    assert look.rows(
        "SELECT DISTINCT result_message, serialized_data, error_code FROM magento_operation"
    ) == [(SUCCESS, None, None)]
    assert "Traceback" not in (tmp_path / "consumers.log").read_text()
