"""``commerce_async.catalog.links``: the contract the categories module relies on."""

from __future__ import annotations

from commerce_async.catalog import links


def test_links_api(services, api) -> None:
    for sku in ("P-1", "P-2"):
        assert (
            api("POST", "/rest/V1/products", {"product": {"sku": sku, "name": sku, "price": 1}})[0]
            == 200
        )

    def work(tx) -> dict:
        first = links.product_id_by_sku(tx, "p-1")
        second = links.product_id_by_sku(tx, "P-2")
        assert (first, second, links.product_id_by_sku(tx, "nope")) == (1, 2, None)
        links.set_category_links(tx, first, [{"category_id": "5", "position": 2}, (3, 1)])
        links.add_category_link(tx, 5, second, 0)
        links.add_category_link(tx, 5, second, 4)  # moves it
        result = {
            "first": links.get_category_links(tx, first),
            "category_5": links.category_products(tx, 5),
        }
        assert links.remove_category_link(tx, 5, second) is True
        assert links.remove_category_link(tx, 5, second) is False
        links.remove_category(tx, [3])
        result["after"] = links.get_category_links(tx, first)
        return result

    assert services.db.run(work) == {
        "first": [{"position": 1, "category_id": "3"}, {"position": 2, "category_id": "5"}],
        "category_5": [
            {"sku": "P-1", "position": 2, "category_id": "5"},
            {"sku": "P-2", "position": 4, "category_id": "5"},
        ],
        "after": [{"position": 2, "category_id": "5"}],
    }
    # The product JSON shows what the links API wrote.
    assert api("GET", "/rest/V1/products/P-1")[1]["extension_attributes"]["category_links"] == [
        {"position": 2, "category_id": "5"}
    ]
    # Deleting the product removes its links.
    api("DELETE", "/rest/V1/products/P-1")
    assert services.db.run_read(lambda tx: links.category_products(tx, 5)) == []


def test_missing_categories_without_and_with_a_validator(services, monkeypatch) -> None:
    monkeypatch.setattr(links, "_validators", [])
    assert services.db.run_read(lambda tx: links.missing_categories(tx, {1, 2})) == set()
    links.register_category_validator(lambda tx, ids: ids & {1})
    assert services.db.run_read(lambda tx: links.missing_categories(tx, {1, 2})) == {2}
