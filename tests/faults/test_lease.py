"""A consumer frozen with SIGSTOP (alive, not dead) loses its leases: another consumer takes the
operations again, and the frozen one, resumed with SIGCONT, does not apply them a second time."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from commerce_async.webapi.app import create_app
from tests.faults import harness
from tests.support import admin_token

pytestmark = [pytest.mark.acceptance, pytest.mark.xdist_group("faults")]


def accept(services, tags: list[str], sleep: float = 0.0) -> None:
    headers = {"Authorization": f"Bearer {admin_token(services)}"}
    with TestClient(create_app(services, consumers=0)) as client:
        response = client.post(
            "/rest/async/bulk/V1/faults/effects",
            json=[{"tag": tag, "sleep": sleep} for tag in tags],
            headers=headers,
        )
        assert response.status_code == 202, response.text


def test_frozen_consumer_loses_its_lease_and_does_not_apply_again_when_resumed(
    tmp_path: Path,
) -> None:
    services = harness.probe_services(tmp_path)
    look = harness.Look(services)
    tags = [f"lease-{index}" for index in range(20)]
    accept(services, tags)
    env = harness.env_for(services, lease_seconds=1, consumer_batch=20)
    frozen = harness.consumer(
        {**env, "FAULT_FREEZE_AFTER_CLAIM": "1"}, tmp_path / "frozen.log"
    ).start()
    taker = harness.consumer(env, tmp_path / "taker.log")
    with harness.stopped_at_exit(frozen, taker):
        # The first consumer claimed all twenty and froze before executing any of them.
        harness.wait_until(lambda: harness.is_stopped(frozen), 60, "consumer never froze")
        assert look.value("SELECT count(*) FROM queue_message WHERE lease_owner IS NOT NULL") == 20
        harness.wait_until(
            lambda: (
                look.value(
                    "SELECT count(*) FROM queue_message WHERE lease_expires < ?", (time.time(),)
                )
                == 20
            ),
            60,
            "leases never expired",
        )
        taker.start()
        harness.wait_until(lambda: look.open_operations() == 0, 60, "the taker did not finish")
        assert taker.stop() == 0
        frozen.signal(signal.SIGCONT)
        assert frozen.stop() == 0  # resumes, finds its twenty operations finished, exits

    assert look.status_counts() == {1: 20}
    assert look.duplicated_effects() == []
    assert look.effect_tags() == set(tags)
    assert look.rows("SELECT DISTINCT pid FROM fault_effect") == [(taker.pid,)]
    assert "Consumer stopped after 0 operation(s)." in frozen.output()
    assert "Consumer stopped after 20 operation(s)." in taker.output()
    assert look.value("SELECT count(*) FROM queue_message") == 0


def test_consumers_frozen_at_random_moments_never_apply_an_operation_twice(
    tmp_path: Path,
) -> None:
    """Freezes land anywhere, also inside a batch transaction; on SQLite a consumer frozen while
    it holds the write lock stalls the others until it resumes, and none applies twice."""
    services = harness.probe_services(tmp_path)
    look = harness.Look(services)
    tags = [f"freeze-{index}" for index in range(200)]
    accept(services, tags, sleep=0.005)
    env = harness.env_for(services, lease_seconds=0.5, consumer_batch=16)
    seed = time.time_ns()
    chance = random.Random(seed)
    consumers = [harness.consumer(env, tmp_path / "consumers.log").start() for _ in range(2)]
    freezes = 0
    with harness.stopped_at_exit(*consumers):
        for _ in range(3):
            victim = chance.choice(consumers)
            before = harness.completed_operations(look)
            harness.wait_until(
                lambda before=before: (
                    harness.completed_operations(look) > before or look.open_operations() == 0
                ),
                60,
                f"no progress (seed {seed})",
            )
            time.sleep(chance.uniform(0.0, 0.2))
            if look.open_operations() == 0:
                break
            victim.signal(signal.SIGSTOP)
            freezes += 1
            time.sleep(1.0)  # longer than the lease: the other consumer may take over
            victim.signal(signal.SIGCONT)
        harness.wait_until(lambda: look.open_operations() == 0, 120, f"left open (seed {seed})")

    assert freezes >= 1
    assert look.status_counts() == {1: 200}
    assert look.duplicated_effects() == [], f"seed {seed}"
    assert look.effect_tags() == set(tags)
