"""Product upserts under SIGKILLed consumers: every product ends with exactly the last values sent,
and a write counter on the product rows shows each save applied exactly once.

Saves of one SKU are sent in waves (the next wave once the previous one finished): the queue gives
no ordering guarantee between operations, so "the last value sent" is only defined across waves.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from commerce_async.catalog.attributes import NAME, PRICE
from commerce_async.webapi.app import create_app
from tests.faults import harness
from tests.support import admin_token

pytestmark = [pytest.mark.acceptance, pytest.mark.xdist_group("faults")]

SKUS = int(os.environ.get("FAULT_TEST_PRODUCT_SKUS", "300"))
WAVES = 3
KILLS = int(os.environ.get("FAULT_TEST_PRODUCT_KILLS", "5"))
SUCCESS = "Service execution success Magento\\Catalog\\Model\\ProductRepository::save"

# Every INSERT or UPDATE of a product row leaves one row in save_log: the save counter.
SAVE_COUNTER = [
    "CREATE TABLE save_log (entity_id INTEGER NOT NULL, sku TEXT NOT NULL)",
    "CREATE TRIGGER count_product_insert AFTER INSERT ON catalog_product_entity"
    " BEGIN INSERT INTO save_log VALUES (new.entity_id, new.sku); END",
    "CREATE TRIGGER count_product_update AFTER UPDATE ON catalog_product_entity"
    " BEGIN INSERT INTO save_log VALUES (new.entity_id, new.sku); END",
]


def item(index: int, wave: int) -> dict:
    return {
        "product": {
            "sku": f"kill-{index}",
            "name": f"Product {index} wave {wave}",
            "price": wave * 10_000 + index + 0.25,
            "attribute_set_id": 4,
            "type_id": "simple",
        }
    }


def test_product_upserts_survive_sigkilled_consumers(tmp_path: Path) -> None:
    services = harness.probe_services(tmp_path, lease_seconds=2)
    for statement in SAVE_COUNTER:
        services.db.run(lambda tx, statement=statement: tx.execute(statement))
    look = harness.Look(services)
    headers = {"Authorization": f"Bearer {admin_token(services)}"}
    total = SKUS * WAVES
    seed = int(os.environ.get("FAULT_TEST_SEED", str(time.time_ns())))
    chance = random.Random(seed)
    points = harness.kill_points(total, KILLS, chance)
    # Small consumer batches: more commits per wave, so the kills land while work is in flight.
    env = harness.env_for(services, lease_seconds=2, consumer_batch=16)

    with TestClient(create_app(services, consumers=0)) as client:
        # What one save writes to the counter when it creates, and when it updates, a product.
        calibration = {"product": {"sku": "calibrate", "name": "Calibrate", "price": 1}}
        client.put("/rest/all/V1/products/calibrate", json=calibration, headers=headers)
        per_create = look.value("SELECT count(*) FROM save_log")
        calibration["product"]["price"] = 2
        client.put("/rest/all/V1/products/calibrate", json=calibration, headers=headers)
        per_update = look.value("SELECT count(*) FROM save_log") - per_create
        assert per_create >= 1 and per_update >= 1
        services.db.run(lambda tx: tx.execute("DELETE FROM save_log"))

        def send_wave(wave: int) -> None:
            response = client.put(
                "/rest/all/async/bulk/V1/products/bySku",
                json=[item(index, wave) for index in range(SKUS)],
                headers=headers,
            )
            assert response.status_code == 202, response.text

        send_wave(0)
        waves_sent = 1
        pool = harness.ConsumerPool(look, env, tmp_path / "consumers.log", chance)
        try:
            deadline = time.monotonic() + 600
            while True:
                done = harness.completed_operations(look)
                if points and done >= points[0]:  # kills first: a fast wave must not skip them
                    points.pop(0)
                    pool.kill_one()
                elif done == total:
                    break
                elif done == waves_sent * SKUS and waves_sent < WAVES:
                    send_wave(waves_sent)
                    waves_sent += 1
                assert time.monotonic() < deadline, f"no end to the run (seed {seed})"
                assert look.status_counts().get(3, 0) == 0, look.rows(
                    "SELECT result_message FROM magento_operation WHERE status = 3 LIMIT 3"
                )
                time.sleep(0.01)
        finally:
            pool.stop()

    assert pool.kills == KILLS, f"seed {seed}"
    assert pool.kills_with_work_in_flight > 0, f"no kill hit a consumer at work (seed {seed})"
    assert look.status_counts() == {1: total}
    assert look.rows("SELECT DISTINCT result_message FROM magento_operation") == [(SUCCESS,)]
    assert look.value("SELECT count(*) FROM queue_message") == 0

    # Each product saved exactly once per wave: one create, then one update per later wave.
    saves = dict(look.rows("SELECT sku, count(*) FROM save_log GROUP BY sku"))
    expected_saves = per_create + (WAVES - 1) * per_update
    assert saves == {f"kill-{index}": expected_saves for index in range(SKUS)}, f"seed {seed}"

    # Each product holds exactly the values of the last wave.
    last = WAVES - 1
    values = {
        (sku, attribute_id): (text, number)
        for sku, attribute_id, text, number in look.rows(
            "SELECT e.sku, v.attribute_id, v.value_string, v.value_number"
            " FROM catalog_product_entity e JOIN catalog_product_value v"
            " ON v.entity_id = e.entity_id AND v.store_id = 0 AND v.attribute_id IN (?, ?)"
            " WHERE e.sku LIKE 'kill-%'",
            (NAME.attribute_id, PRICE.attribute_id),
        )
    }
    for index in range(SKUS):
        sku = f"kill-{index}"
        assert values[(sku, NAME.attribute_id)][0] == f"Product {index} wave {last}"
        assert values[(sku, PRICE.attribute_id)][1] == last * 10_000 + index + 0.25
    assert len(values) == 2 * SKUS
