"""Magento's async scenarios (spec section 9) against a real server and consumer processes."""

from __future__ import annotations

import json
import signal

import httpx
import pytest

from tests.acceptance.conftest import Deployment, deploy
from tests.support import wait_for

PRODUCT = {
    "attribute_set_id": 4,
    "price": 3.62,
    "status": 1,
    "visibility": 4,
    "custom_attributes": [
        {"attribute_code": "cost", "value": ""},
        {"attribute_code": "description", "value": "Description"},
    ],
}


def product(sku: str, type_id: str = "simple", **fields) -> dict:
    attributes = [*PRODUCT["custom_attributes"], {"attribute_code": "url_key", "value": sku}]
    return {
        "product": {
            **PRODUCT,
            "sku": sku,
            "name": f"Name {sku}",
            "type_id": type_id,
            "custom_attributes": attributes,
            **fields,
        }
    }


def finished(client: httpx.Client, bulk_uuid: str) -> dict | None:
    """The bulk's status once no operation is open any more, else None."""
    status = client.get(f"/rest/V1/bulk/{bulk_uuid}/status").json()
    if all(op["status"] != 4 for op in status["operations_list"]):
        return status
    return None


def drain(
    deployment: Deployment, client: httpx.Client, *bulk_uuids: str, timeout: float = 120
) -> list[dict]:
    """Wait until the module's consumer process finished every operation of the bulks (polling
    the cheap open-operations count), then answer each bulk's status."""
    for bulk_uuid in bulk_uuids:
        url = f"/rest/V1/bulk/{bulk_uuid}/operation-status/4"
        wait_for(lambda url=url: client.get(url).json() == 0, timeout=timeout, interval=0.05)
    return [client.get(f"/rest/V1/bulk/{bulk_uuid}/status").json() for bulk_uuid in bulk_uuids]


@pytest.mark.parametrize(
    ("sku", "type_id"), [("psku-test-1", "simple"), ("psku-test-2", "virtual")]
)
def test_scenarios_1_2_async_create(deployment: Deployment, sku: str, type_id: str) -> None:
    with deployment.http() as client:
        response = client.post("/rest/default/async/V1/products", json=product(sku, type_id))
        assert response.status_code == 202
        body = response.json()
        assert body["bulk_uuid"]
        assert [item["status"] for item in body["request_items"]] == ["accepted"]
        assert body["errors"] is False
        (status,) = drain(deployment, client, body["bulk_uuid"])
        assert status["operations_list"][0]["status"] == 1
        created = client.get(f"/rest/default/V1/products/{sku}").json()
        assert (created["sku"], created["type_id"]) == (sku, type_id)


def test_scenario_3_and_routing_errors(deployment: Deployment) -> None:
    with deployment.http() as client:
        for url in (
            "/rest/default/async/V1/products/psku-test-1",
            "/rest/default/async/bulk/V1/products/psku-test-1",
        ):
            response = client.get(url)
            assert (response.status_code, response.json()) == (
                400,
                {"message": "Specified request cannot be processed."},
            )
        response = client.patch("/rest/default/async/V1/products", json={})
        assert (response.status_code, response.json()) == (
            405,
            {"message": "The PATCH HTTP method is not supported."},
        )
        response = client.post("/rest/default/async/V1/nonexistent", json={})
        assert (response.status_code, response.json()) == (
            404,
            {"message": "Request does not match any route."},
        )
        response = client.put(
            "/rest/default/async/bulk/V1/products/psku-1", json=[product("psku-1")]
        )
        assert response.status_code == 404


def test_scenario_32_no_token_stores_nothing(deployment: Deployment) -> None:
    with deployment.http() as client:
        before = client.get("/rest/V1/bulk?searchCriteria=").json()["total_count"]
    response = httpx.post(
        f"{deployment.url}/rest/default/async/V1/products", json=product("anonymous-1")
    )
    assert (response.status_code, response.json()) == (
        401,
        {
            "message": "The consumer isn't authorized to access %resources.",
            "parameters": {"resources": "Magento_Catalog::products"},
        },
    )
    with deployment.http() as client:
        assert client.get("/rest/V1/bulk?searchCriteria=").json()["total_count"] == before


@pytest.mark.parametrize("store", ["default", "all", "fixturestore"])
def test_scenario_8_store_scope_travels_with_the_operation(
    deployment: Deployment, store: str
) -> None:
    sku = f"multistore-sku-test-{store}"
    with deployment.http() as client:
        created = client.post("/rest/V1/products", json=product(sku, name="Test Name "))
        assert created.status_code == 200
        data = product(sku, "virtual", name=f"Test Name {store}")
        response = client.put(f"/rest/{store}/async/V1/products/{sku}", json=data)
        assert response.status_code == 202
        drain(deployment, client, response.json()["bulk_uuid"])
        for seen_from in ("default", "all", "fixturestore"):
            read = client.get(f"/rest/{seen_from}/V1/products/{sku}").json()
            expected = f"Test Name {store}" if store in (seen_from, "all") else "Test Name "
            assert read["name"] == expected, (store, seen_from)
            assert read["type_id"] == "virtual"


def test_scenarios_35_37_38_success_details(deployment: Deployment) -> None:
    with deployment.http() as client:
        response = client.post("/rest/all/async/V1/products", json=product("detail-1"))
        bulk_uuid = response.json()["bulk_uuid"]
        (pending,) = client.get(f"/rest/V1/bulk/{bulk_uuid}/detailed-status").json()[
            "operations_list"
        ]
        if pending["status"] == 4:  # the consumer may already have run it (and cleared the data)
            assert json.loads(pending["serialized_data"])["store_id"] == "0"
        drain(deployment, client, bulk_uuid)
        # A failed operation keeps its serialized_data, so the "all" scope is always checkable.
        failing = {
            "product": {"sku": "detail-0", "attribute_set_id": 4, "price": 1, "type_id": "simple"}
        }
        failed_uuid = client.post("/rest/all/async/V1/products", json=failing).json()["bulk_uuid"]
        drain(deployment, client, failed_uuid)
        failed_url = f"/rest/V1/bulk/{failed_uuid}/detailed-status"
        (failed,) = client.get(failed_url).json()["operations_list"]
        assert failed["status"] == 3
        assert json.loads(failed["serialized_data"])["store_id"] == "0"
        detailed = client.get(f"/rest/V1/bulk/{bulk_uuid}/detailed-status").json()
        (op,) = detailed["operations_list"]
        sync = client.get("/rest/all/V1/products/detail-1").json()
        assert op["status"] == 1 and op["serialized_data"] is None and op["error_code"] is None
        assert op["result_message"].startswith("Service execution success ")
        result = json.loads(op["result_serialized_data"])
        assert result["sku"] == "detail-1" and result["id"] == sync["id"]
        assert detailed["description"] == (
            "Topic async.magento.catalog.api.productrepositoryinterface.save.post"
        )
        assert detailed["user_type"] == 1  # an integration token


def test_a_failing_operation_reports_its_message(deployment: Deployment) -> None:
    with deployment.http() as client:
        bad = {
            "product": {"sku": "no-name-1", "attribute_set_id": 4, "price": 1, "type_id": "simple"}
        }
        response = client.post("/rest/default/async/V1/products", json=bad)
        assert response.status_code == 202
        (status,) = drain(deployment, client, response.json()["bulk_uuid"])
        (op,) = status["operations_list"]
        assert op["status"] == 3
        assert op["error_code"] == 0
        assert op["result_message"] == (
            'The "Product Name" attribute value is empty. Set the attribute and try again.'
        )


def test_killed_consumer_work_is_completed_exactly_once_after_restart(tmp_path) -> None:
    deployment = deploy(tmp_path)
    try:
        with deployment.http() as client:
            items = [product(f"kill-{index}") for index in range(600)]
            response = client.post("/rest/default/async/bulk/V1/products", json=items)
            assert response.status_code == 202
            bulk_uuid = response.json()["bulk_uuid"]

            def complete() -> int:
                return client.get(f"/rest/V1/bulk/{bulk_uuid}/operation-status/1").json()

            first = deployment.consumer(name="first").start()
            wait_for(lambda: complete() >= 100, timeout=120)
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(10)
            done_at_kill = complete()
            assert done_at_kill < 600
            second = deployment.consumer(name="second").start()
            try:
                wait_for(lambda: complete() == 600, timeout=180)
            finally:
                second.stop()
            detailed = client.get(f"/rest/V1/bulk/{bulk_uuid}/detailed-status").json()
            assert {op["status"] for op in detailed["operations_list"]} == {1}
            search = client.get(
                "/rest/V1/products",
                params={
                    "searchCriteria[filter_groups][0][filters][0][field]": "sku",
                    "searchCriteria[filter_groups][0][filters][0][value]": "kill-%",
                    "searchCriteria[filter_groups][0][filters][0][condition_type]": "like",
                    "searchCriteria[pageSize]": "1",
                },
            ).json()
            assert search["total_count"] == 600
    finally:
        deployment.server.stop()


def test_server_killed_right_after_a_202_still_runs_the_operation(tmp_path) -> None:
    deployment = deploy(tmp_path)
    with deployment.http() as client:
        response = client.post("/rest/default/async/V1/products", json=product("after-kill"))
        assert response.status_code == 202
        bulk_uuid = response.json()["bulk_uuid"]
    deployment.server.kill()
    consumer = deployment.consumer().start()
    deployment.server.start()
    try:
        with deployment.http() as client:
            (status,) = [wait_for(lambda: finished(client, bulk_uuid), timeout=60)]
            assert status["operations_list"][0]["status"] == 1
            assert client.get("/rest/V1/products/after-kill").json()["sku"] == "after-kill"
    finally:
        consumer.stop()
        deployment.server.stop()
