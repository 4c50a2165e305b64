"""Customer creation through the async and bulk routes: the accept-time group check, a failed
duplicate, and a bulk of two accounts executed by a consumer in this process."""

from __future__ import annotations

import json
import sqlite3

import sqlalchemy as sa

from commerce_async.customers import service
from commerce_async.operations.model import serialize_operation_data
from commerce_async.storage import schema
from commerce_async.storage.database import sqlite_path
from tests.unit.customers.conftest import PASSWORD, run_consumer

TOPIC = "async.magento.customer.api.accountmanagementinterface.createaccount.post"
DUPLICATE = "A customer with the same email address already exists in an associated website."


def count(services, table) -> int:
    return services.db.run_read(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(table)))


def customer(email: str, **fields) -> dict:
    return {"email": email, "firstname": "John", "lastname": "Doe", **fields}


def test_group_id_needs_manage_when_the_request_is_accepted(call, token, services) -> None:
    refused = {
        "message": "The consumer isn't authorized to access %resources.",
        "parameters": {"resources": "Magento_Customer::manage"},
    }
    single = {"customer": customer("a@example.com", group_id=2)}
    assert call("POST", "/rest/default/async/V1/customers", single) == (401, refused)
    # One item with a group refuses the whole bulk, in either key spelling.
    items = [
        {"customer": customer("b@example.com")},
        {"customer": customer("c@example.com", groupId=3)},
    ]
    assert call("POST", "/rest/default/async/bulk/V1/customers", items) == (401, refused)
    assert (count(services, schema.magento_bulk), count(services, schema.queue_message)) == (0, 0)
    status, body = call(
        "POST", "/rest/default/async/V1/customers", {"customer": customer("d@x.io")}
    )
    assert (status, body["errors"]) == (202, False)
    status, body = call("POST", "/rest/default/async/bulk/V1/customers", items, token)
    assert (status, [item["status"] for item in body["request_items"]]) == (
        202,
        ["accepted", "accepted"],
    )
    assert count(services, schema.magento_bulk) == 2


def test_a_duplicate_email_fails_the_operation_and_keeps_its_data(call, token, services) -> None:
    assert call("POST", "/rest/V1/customers", {"customer": customer("john@example.com")})[0] == 200
    request = {"customer": customer("john@example.com")}
    status, accepted = call("POST", "/rest/default/async/V1/customers", request)
    assert status == 202
    run_consumer(services, 1)
    serialized = serialize_operation_data(request, 1)
    status, detailed = call(
        "GET", f"/rest/V1/bulk/{accepted['bulk_uuid']}/detailed-status", token=token
    )
    assert status == 200
    assert detailed["operations_list"] == [
        {
            "id": 0,
            "bulk_uuid": accepted["bulk_uuid"],
            "topic_name": TOPIC,
            "serialized_data": serialized,
            "result_serialized_data": None,
            "status": 3,
            "result_message": DUPLICATE,
            "error_code": 0,
        }
    ]
    assert (detailed["user_type"], detailed["user_id"]) == (4, None)
    assert count(services, schema.customer_entity) == 1


def test_a_bulk_of_two_customers_completes(call, token, services, website2) -> None:
    items = [
        {"customer": customer("john1@example.com"), "password": PASSWORD},
        {
            "customer": customer("john2@example.com", website_id=website2["website_id"]),
            "password": PASSWORD,
        },
    ]
    status, accepted = call("POST", "/rest/default/async/bulk/V1/customers", items)
    assert (status, accepted["errors"], len(accepted["request_items"])) == (202, False, 2)
    run_consumer(services, 2)
    operation = schema.magento_operation
    rows = services.db.run_read(
        lambda tx: tx.all(
            sa.select(operation)
            .where(operation.c.bulk_uuid == accepted["bulk_uuid"])
            .order_by(operation.c.operation_key)
        )
    )
    assert [(row.status, row.result_message, row.serialized_data) for row in rows] == [
        (
            1,
            "Service execution success "
            "Magento\\Customer\\Model\\AccountManagementApi::createAccount",
            None,
        )
    ] * 2
    results = [json.loads(row.result_serialized_data) for row in rows]
    for result in results:
        assert call("GET", f"/rest/V1/customers/{result['id']}", token=token) == (200, result)
    assert [(r["email"], r["website_id"], r["store_id"], r["created_in"]) for r in results] == [
        ("john1@example.com", 1, 1, "Default Store View"),
        ("john2@example.com", website2["website_id"], website2["store_id"], "French View"),
    ]
    # The passwords were hashed by the consumer: the accounts can sign in.
    sign_in = {"username": "john1@example.com", "password": PASSWORD}
    status, customer_token = call("POST", "/rest/V1/integration/customer/token", sign_in)
    assert status == 200
    assert call("GET", "/rest/V1/customers/me", token=customer_token)[1]["email"] == (
        "john1@example.com"
    )


def test_passwords_are_hashed_while_no_write_transaction_is_open(
    call, services, monkeypatch
) -> None:
    """Argon2id takes a long time: the edge and the consumer hash before their transaction
    opens, so the database write lock stays free for everyone else meanwhile."""
    database = sqlite_path(services.settings.db_url)

    def lock_state() -> str:
        probe = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return "free"
        except sqlite3.OperationalError as error:
            return str(error)
        finally:
            probe.close()

    with services.db.transaction():
        assert lock_state() == "database is locked"
    states = []
    original = service.hash_password

    def observed(password: str) -> str:
        states.append(lock_state())
        return original(password)

    monkeypatch.setattr(service, "hash_password", observed)
    body = {"customer": customer("sync@example.com"), "password": PASSWORD}
    assert call("POST", "/rest/V1/customers", body)[0] == 200
    items = [
        {"customer": customer(f"bulk{index}@example.com"), "password": PASSWORD}
        for index in range(2)
    ]
    assert call("POST", "/rest/default/async/bulk/V1/customers", items)[0] == 202
    run_consumer(services, 2)
    assert states == ["free", "free", "free"]
    assert count(services, schema.customer_entity) == 3
