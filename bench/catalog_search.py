"""Product save cost and ``GET /V1/products?searchCriteria`` latency at catalogue scale.

``python -m bench.catalog_search [--products 100000] [--repeat 15] [--db-url URL]``

1. Creates ``--products`` products through the real save handler (input conversion included),
   500 per transaction as a consumer batch would, and reports the saves per second.
2. Updates 10% of them through the default store view (rule 2: store-level name and status
   rows), so searches in that view take the override path, and reports updates per second.
3. Runs each search through the real ``getList`` handler in a read transaction, in the admin
   scope (store 0) and in the default store view, and prints the median and p90 milliseconds
   (items are fully built, 20 per page unless stated).

Independent of the test suite; it only needs a writable temporary directory (or ``--db-url``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from commerce_async import bootstrap, settings
from commerce_async.setup import upgrade
from commerce_async.webapi.dispatch import convert_args
from commerce_async.webapi.routes import SYSTEM, ServiceContext

BATCH = 500
COLOURS = ("Red", "Blue", "Green", "Black", "White")


def product(index: int) -> dict[str, Any]:
    return {
        "sku": f"SKU-{index:07d}",
        "name": f"{COLOURS[index % 5]} Shirt {index}",
        "price": 5 + (index * 7919) % 1000 / 10,
        "status": 1 if index % 10 else 2,
        "visibility": 4,
        "type_id": "simple" if index % 4 else "virtual",
        "weight": 1,
        "custom_attributes": {"description": f"Description of product {index}"},
        "extension_attributes": {"stock_item": {"qty": index % 100, "is_in_stock": True}},
    }


def run_writes(
    services: Any, route: Any, store: Any, bodies: list[dict[str, Any]]
) -> tuple[float, float]:
    """Saves per second through the handler, ``BATCH`` per transaction (one savepoint each),
    by the wall clock and by this process's CPU time (the machine may be shared)."""
    started = time.perf_counter()
    cpu = time.process_time()
    for start in range(0, len(bodies), BATCH):
        with services.db.transaction() as tx:
            for body in bodies[start : start + BATCH]:
                args = convert_args(route, body)
                with tx.driver_savepoint():  # as the consumer runs each operation
                    route.handler(ServiceContext(tx, store, SYSTEM, services), args)
    return (
        len(bodies) / (time.perf_counter() - started),
        len(bodies) / (time.process_time() - cpu),
    )


def criteria(*filters: tuple[str, str, str], sort: tuple[str, str] | None = None, page=20):
    result: dict[str, Any] = {
        "filter_groups": [
            {"filters": [{"field": f, "value": v, "condition_type": c}]} for f, v, c in filters
        ],
        "page_size": page,
        "current_page": 1,
    }
    if sort:
        result["sort_orders"] = [{"field": sort[0], "direction": sort[1]}]
    return result


def searches(created_at: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("sku eq", criteria(("sku", "sku-0054321", "eq"))),
        ("sku like prefix", criteria(("sku", "SKU-00543%", "like"))),
        ("name eq", criteria(("name", "Red Shirt 54320", "eq"))),
        ("name like prefix", criteria(("name", "Green Shirt 5432%", "like"))),
        ("name like %contains%", criteria(("name", "%Shirt 5432%", "like"))),
        ("price range", criteria(("price", "50", "gteq"), ("price", "50.5", "lteq"))),
        ("status eq (10%)", criteria(("status", "2", "eq"))),
        ("type_id eq (25%)", criteria(("type_id", "virtual", "eq"))),
        ("created_at from", criteria(("created_at", created_at, "from"))),
        ("sort by price", criteria(sort=("price", "ASC"))),
        ("sort by name", criteria(sort=("name", "DESC"))),
        ("no filter, page 1", criteria()),
        ("no filter, page 100", {**criteria(), "current_page": 100}),
    ]


def measure(services: Any, route: Any, store: Any, search: dict[str, Any], repeat: int):
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = services.db.run_read(
            lambda tx: route.handler(
                ServiceContext(tx, store, SYSTEM, services), {"searchCriteria": search}
            )
        )
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1], result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--db-url", default="", help="a database to use; if it holds products they are reused"
    )
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        db_url = options.db_url or f"sqlite:///{Path(scratch) / 'catalog.sqlite3'}"
        services = bootstrap.build(settings.load(environ={}, db_url=db_url, log_level="WARNING"))
        try:
            upgrade(services)
            run(services, options)
        finally:
            services.close()


def run(services: Any, options: argparse.Namespace) -> None:
    routes = services.routes
    save_route = routes.match("POST", ["V1", "products"])[0]
    list_route = routes.match("GET", ["V1", "products"])[0]
    snapshot = services.stores.snapshot
    admin, default = snapshot.admin_store, snapshot.default_store
    count = options.products
    existing = services.db.run_read(
        lambda tx: tx.scalar("SELECT count(*) FROM catalog_product_entity")
    )
    if existing:
        print(f"reusing the {existing} products of {options.db_url}")
    else:
        write_catalogue(services, save_route, admin, default, count)
    run_searches(services, list_route, admin, default, options.repeat)


def write_catalogue(services: Any, save_route: Any, admin: Any, default: Any, count: int) -> None:
    bodies = [{"product": product(i)} for i in range(count)]
    wall, cpu = run_writes(services, save_route, admin, bodies)
    print(
        f"created {count} products: {wall:,.0f} saves/s wall, {cpu:,.0f} per CPU-second"
        f" (input conversion + handler + SQL, {BATCH} per commit)"
    )
    updates = [
        {"product": {"sku": f"SKU-{i:07d}", "name": f"Store Name {i}", "status": 2}}
        for i in range(0, count, 10)
    ]
    wall, cpu = run_writes(services, save_route, default, updates)
    print(
        f"updated {len(updates)} products in store view 1: {wall:,.0f} saves/s wall,"
        f" {cpu:,.0f} per CPU-second"
    )


def run_searches(services: Any, list_route: Any, admin: Any, default: Any, repeat: int) -> None:
    created_at = services.db.run_read(
        lambda tx: tx.scalar("SELECT max(created_at) FROM catalog_product_entity")
    )
    print(f"\n{'search':28} {'store':>6} {'median ms':>10} {'p90 ms':>8} {'total':>8}")
    for label, search in searches(created_at):
        for store in (admin, default):
            median, p90, result = measure(services, list_route, store, search, repeat)
            print(
                f"{label:28} {store.store_id:>6} {median:>10.2f} {p90:>8.2f}"
                f" {result['total_count']:>8}"
            )


if __name__ == "__main__":
    main()
