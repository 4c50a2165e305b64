"""The server killed with SIGKILL under concurrent load: a 202 is a promise that survives it."""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.faults import harness
from tests.support import admin_token

pytestmark = [pytest.mark.acceptance, pytest.mark.xdist_group("faults")]

CLIENT_THREADS = 4
KILL_ROUNDS = 2


@dataclass
class Sent:
    tags: list[str]
    status: int | None = None
    bulk_uuid: str | None = None


@dataclass
class Load:
    """Client threads posting single async requests and bulks of 1-20 items until stopped."""

    base_url: str
    token: str
    seed: int
    prefix: str
    sent: list[Sent] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: itertools.count = field(default_factory=itertools.count)

    def run(self, thread_index: int) -> None:
        chance = random.Random(self.seed * 100 + thread_index)
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            while not self.stop.is_set():
                count = chance.choice([1, 1, chance.randint(2, 20)])
                tags = [f"{self.prefix}-{next(self._numbers)}" for _ in range(count)]
                record = Sent(tags)
                with self._lock:
                    self.sent.append(record)
                try:
                    if count == 1 and chance.random() < 0.5:
                        response = client.post(
                            "/rest/async/V1/faults/effects", json={"tag": tags[0]}, headers=headers
                        )
                    else:
                        response = client.post(
                            "/rest/default/async/bulk/V1/faults/effects",
                            json=[{"tag": tag} for tag in tags],
                            headers=headers,
                        )
                except httpx.HTTPError:
                    return  # the server is gone
                record.status = response.status_code
                if response.status_code == 202:
                    body = response.json()
                    record.bulk_uuid = body["bulk_uuid"]
                    assert [item["status"] for item in body["request_items"]] == [
                        "accepted"
                    ] * count

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.run, args=(index,), daemon=True)
            for index in range(CLIENT_THREADS)
        ]
        for thread in threads:
            thread.start()
        return threads


def test_sigkill_server_under_load_keeps_every_202_and_leaves_no_partial_bulk(
    tmp_path: Path,
) -> None:
    services = harness.probe_services(tmp_path)
    token = admin_token(services)
    look = harness.Look(services)
    env = harness.env_for(services, lease_seconds=2)
    seed = time.time_ns()
    chance = random.Random(seed)
    log = tmp_path / "server.log"
    sent: list[Sent] = []
    for round_number in range(KILL_ROUNDS):
        server = harness.Server(env, log, consumers=1).start()
        load = Load(server.base_url, token, seed + round_number, f"round{round_number}")
        threads = load.start()
        try:
            harness.wait_until(
                lambda load=load: sum(1 for s in load.sent if s.status == 202) >= 50,
                60,
                f"no load accepted:\n{server.output()}",
            )
            time.sleep(chance.uniform(0.0, 1.0))
            server.kill()
        finally:
            load.stop.set()
            server.kill()
            for thread in threads:
                thread.join(60)
        sent.extend(load.sent)

    # Recovery: a fresh server with its consumer runs whatever was accepted.
    server = harness.Server(env, log, consumers=1).start()
    with harness.stopped_at_exit(server):
        harness.wait_until(lambda: look.open_operations() == 0, 120, "operations left open")

    accepted = [s for s in sent if s.status == 202]
    unanswered = [s for s in sent if s.status is None]
    assert len(accepted) >= 50 * KILL_ROUNDS
    assert all(s.status in (202, None) for s in sent), {s.status for s in sent}

    # Every 202: its bulk with every operation stored, each executed exactly once.
    operations = {
        uuid: (count, total)
        for uuid, count, total in look.rows(
            "SELECT b.uuid, b.operation_count, count(o.id) FROM magento_bulk b"
            " JOIN magento_operation o ON o.bulk_uuid = b.uuid AND o.status = 1"
            " GROUP BY b.uuid, b.operation_count"
        )
    }
    for record in accepted:
        assert operations.get(record.bulk_uuid) == (len(record.tags), len(record.tags)), record
    effects = look.effect_tags()
    assert look.duplicated_effects() == []
    for record in accepted:
        assert set(record.tags) <= effects

    # Requests without an answer: all of their bulk or none of it, never a part.
    for record in unanswered:
        stored = effects & set(record.tags)
        assert stored in (set(), set(record.tags)), record

    # Nothing partial or orphaned anywhere, and no effect nobody asked for.
    assert look.incomplete_bulks() == []
    assert look.status_counts() == {1: look.value("SELECT count(*) FROM magento_operation")}
    assert effects <= {tag for record in sent for tag in record.tags}
    assert look.value("SELECT count(*) FROM queue_message") == 0
