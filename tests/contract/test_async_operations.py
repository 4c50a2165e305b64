"""The asynchronous operations contract, identical on every backend combination: a server process
accepts (``serve --consumers 0``), separate ``queue:consumers:start`` processes execute, and
every operation's effect lands exactly once, whatever kills, duplicates or consumer counts.

Effects are checked on the data (each product exists once, with its values), next to the
operation statuses, the committed execution count of every operation (``attempts``) and the
operations the consumers report having executed.
"""

from __future__ import annotations

import httpx
import pytest

from tests.deployment import PRODUCT_SAVED, Deployment
from tests.support import wait_for

pytestmark = pytest.mark.integration


def catalogue(prefix: str, count: int) -> list[dict]:
    return [
        {"sku": f"{prefix}-{index}", "name": f"{prefix} product {index}", "price": 10 + index}
        for index in range(count)
    ]


def assert_applied_once(stack: Deployment, bulk_uuid: str, products: list[dict]) -> None:
    """Every product exists once with its values, and every operation committed one execution."""
    expected = {p["sku"]: (p["name"], float(p["price"]), 1) for p in products}
    assert stack.products(list(expected)) == expected
    attempts = stack.rows(
        "SELECT attempts, count(*) AS n FROM magento_operation WHERE bulk_uuid = :b "
        "GROUP BY attempts",
        b=bulk_uuid,
    )
    assert [(row.attempts, row.n) for row in attempts] == [(1, len(products))]


def executed_by_consumers(stack: Deployment) -> int:
    """Operations the consumer processes executed (a skipped duplicate does not count), as each
    one recorded when it stopped."""
    return int(stack.value("SELECT coalesce(sum(processed), 0) FROM consumer_heartbeat"))


def test_accept_consume_and_report_statuses(stack: Deployment) -> None:
    server = stack.server()
    products = catalogue("accept", 3)
    unnamed = {"sku": "accept-unnamed", "price": 5}  # accepted, fails when executed
    response = httpx.post(
        f"{server.base_url}/rest/async/bulk/V1/products",
        json=[{"product": p} for p in [*products, unnamed]],
        headers=stack.auth,
        timeout=60,
    )
    assert response.status_code == 202
    body = response.json()
    bulk_uuid = body["bulk_uuid"]
    assert [item["status"] for item in body["request_items"]] == ["accepted"] * 4
    assert body["errors"] is False

    status_url = f"{server.base_url}/rest/V1/bulk/{bulk_uuid}/status"
    before = httpx.get(status_url, headers=stack.auth, timeout=30).json()
    assert [(op["id"], op["status"]) for op in before["operations_list"]] == [
        (0, 4),
        (1, 4),
        (2, 4),
        (3, 4),
    ]

    consumer = stack.consumer()
    stack.wait_until_done(bulk_uuid, 3, failed=1)
    assert consumer.stop() == 0

    detailed = httpx.get(
        f"{server.base_url}/rest/V1/bulk/{bulk_uuid}/detailed-status",
        headers=stack.auth,
        timeout=30,
    ).json()
    operations = detailed["operations_list"]
    assert [(op["id"], op["status"]) for op in operations] == [
        (0, 1),
        (1, 1),
        (2, 1),
        (3, 3),
    ]
    assert [op["result_message"] for op in operations[:4]] == [PRODUCT_SAVED] * 3 + [
        'The "Product Name" attribute value is empty. Set the attribute and try again.'
    ]
    assert [op["error_code"] for op in operations[:4]] == [None, None, None, 0]
    assert [op["serialized_data"] is None for op in operations] == [True, True, True, False]
    for operation, product in zip(operations[:3], products, strict=True):
        result = httpx.Response(200, content=operation["result_serialized_data"]).json()
        assert (result["sku"], result["name"], result["price"]) == (
            product["sku"],
            product["name"],
            product["price"],
        )
    for product in products:
        fetched = httpx.get(
            f"{server.base_url}/rest/V1/products/{product['sku']}", headers=stack.auth, timeout=30
        ).json()
        assert (fetched["sku"], fetched["name"], fetched["price"]) == (
            product["sku"],
            product["name"],
            product["price"],
        )
    assert stack.products(["accept-unnamed"]) == {}
    expected = {p["sku"]: (p["name"], float(p["price"]), 1) for p in products}
    assert stack.products([p["sku"] for p in products]) == expected
    assert executed_by_consumers(stack) == 4


def test_work_of_a_killed_consumer_is_taken_again_and_applied_once(stack: Deployment) -> None:
    server = stack.server()
    products = catalogue("killed", 40)
    bulk_uuid = stack.post_products(server, products)

    first = stack.consumer()
    interrupted = stack.kill_mid_batch(first, bulk_uuid, lock_key=4)
    # What the killed consumer executed in its last batch was rolled back with it.
    statuses = dict(
        stack.rows(
            "SELECT operation_key, status FROM magento_operation WHERE bulk_uuid = :b",
            b=bulk_uuid,
        )
    )
    assert interrupted
    assert {key: statuses[key] for key in interrupted} == dict.fromkeys(interrupted, 4)

    second = stack.consumer()
    stack.wait_started(second)  # (the first may have done everything: SIGTERM only once it runs)
    stack.wait_until_done(bulk_uuid, len(products))
    assert second.stop() == 0
    assert_applied_once(stack, bulk_uuid, products)


def test_three_consumers_and_every_message_twice_apply_each_operation_once(
    stack: Deployment,
) -> None:
    server = stack.server()
    consumers = [stack.consumer() for _ in range(3)]
    for consumer in consumers:
        stack.wait_started(consumer)
    products = catalogue("three", 90)
    bulk_uuid = stack.post_products(server, products)
    # A second message for every operation, as lost acknowledgements or republished outbox rows
    # give; the three consumers race for both copies.
    assert stack.duplicate_messages(bulk_uuid) == len(products)
    stack.wait_until_done(bulk_uuid, len(products))
    assert [consumer.stop() for consumer in consumers] == [0, 0, 0]
    assert_applied_once(stack, bulk_uuid, products)
    assert executed_by_consumers(stack) == len(products)


def test_sigterm_drains_the_batch_and_leaves_nothing_claimed(stack: Deployment) -> None:
    server = stack.server()
    products = catalogue("drain", 60)
    bulk_uuid = stack.post_products(server, products)

    first = stack.consumer()
    stack.wait_started(first)
    wait_for(lambda: stack.status_counts(bulk_uuid).get(1, 0) > 0, 120)
    assert first.stop() == 0
    done_by_first = stack.status_counts(bulk_uuid).get(1, 0)
    assert executed_by_consumers(stack) == done_by_first
    assert stack.value(
        "SELECT state FROM consumer_heartbeat WHERE pid = :pid", pid=first.process.pid
    ) == ("stopped")
    # Nothing stays claimed by the stopped consumer: the rest is free for the next one at once.
    assert (
        stack.value(
            "SELECT count(*) FROM queue_message WHERE lease_owner IS NOT NULL "
            "AND lease_owner NOT LIKE 'relay-%'"
        )
        == 0
    )

    second = stack.consumer()
    stack.wait_started(second)  # (the first may have done everything: SIGTERM only once it runs)
    stack.wait_until_done(bulk_uuid, len(products))
    assert second.stop() == 0
    assert_applied_once(stack, bulk_uuid, products)
    assert executed_by_consumers(stack) == len(products)
