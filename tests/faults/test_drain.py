"""SIGTERM drains a consumer within ``COMMERCE_ASYNC_DRAIN_SECONDS``: it finishes what it can of
its current batch in that time, commits it, gives the rest back at once and exits cleanly."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.faults import harness
from tests.faults.test_lease import accept

pytestmark = [pytest.mark.acceptance, pytest.mark.xdist_group("faults")]

BATCH = 8
SLOW = 0.3  # seconds per operation: a batch takes 2.4 s
TOTAL = BATCH + 2


def released(look: harness.Look) -> int:
    """Messages delivered before and handed back: no lease, ready for the next consumer."""
    return look.value(
        "SELECT count(*) FROM queue_message WHERE deliveries > 0 AND lease_owner IS NULL"
    )


def leased(look: harness.Look) -> int:
    return look.value("SELECT count(*) FROM queue_message WHERE lease_owner IS NOT NULL")


def start_slow_run(tmp_path: Path, drain: float) -> tuple[harness.Look, harness.Process, dict]:
    services = harness.probe_services(tmp_path)
    look = harness.Look(services)
    accept(services, [f"drain-{index}" for index in range(TOTAL)], sleep=SLOW)
    env = harness.env_for(services, consumer_batch=BATCH, drain_seconds=drain)
    consumer = harness.consumer(env, tmp_path / "consumer.log").start()
    harness.wait_until(lambda: leased(look) == BATCH, 60, "the consumer never claimed a batch")
    return look, consumer, env


def test_sigterm_with_a_short_drain_commits_part_of_the_batch_and_releases_the_rest(
    tmp_path: Path,
) -> None:
    look, consumer, env = start_slow_run(tmp_path, drain=1.0)
    with harness.stopped_at_exit(consumer):
        consumer.signal(signal.SIGTERM)
        assert consumer.wait(60) == 0

    done = harness.completed_operations(look)
    assert 0 < done < BATCH  # cut short by the drain deadline, not by the end of the batch
    assert leased(look) == 0
    assert released(look) == BATCH - done  # given back at once, not left to lease expiry
    assert len(look.effect_tags()) == done

    finisher = harness.consumer(env, tmp_path / "finisher.log").start()
    with harness.stopped_at_exit(finisher):
        harness.wait_until(lambda: look.open_operations() == 0, 120, "left open")
    assert look.status_counts() == {1: TOTAL}
    assert look.duplicated_effects() == []


def test_sigterm_with_a_long_drain_finishes_the_whole_batch_first(tmp_path: Path) -> None:
    look, consumer, _env = start_slow_run(tmp_path, drain=60.0)
    with harness.stopped_at_exit(consumer):
        consumer.signal(signal.SIGTERM)
        assert consumer.wait(120) == 0

    done = harness.completed_operations(look)
    assert done > 0 and done % BATCH == 0  # whole batches only
    assert leased(look) == 0 and released(look) == 0
    assert look.open_operations() == TOTAL - done
    assert len(look.effect_tags()) == done


def test_server_sigterm_drains_its_consumer_threads(tmp_path: Path) -> None:
    services = harness.probe_services(tmp_path)
    look = harness.Look(services)
    accept(services, [f"serve-{index}" for index in range(TOTAL)], sleep=SLOW)
    env = harness.env_for(services, consumer_batch=BATCH, drain_seconds=1.0)
    server = harness.Server(env, tmp_path / "server.log", consumers=1).start()
    with harness.stopped_at_exit(server):
        harness.wait_until(lambda: leased(look) == BATCH, 60, "the consumer never claimed")
        server.signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught: exit by SIGTERM.
        assert server.wait(60) in (0, -signal.SIGTERM)
    done = harness.completed_operations(look)
    assert 0 < done < BATCH
    assert leased(look) == 0 and released(look) == BATCH - done
    assert "Traceback" not in server.output()
