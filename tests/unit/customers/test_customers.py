"""Customer accounts: create, read, update, delete, search, and their errors, with full bodies."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from commerce_async.storage import schema
from tests.unit.customers.conftest import PASSWORD, stored, without_times

DUPLICATE = {
    "message": "A customer with the same email address already exists in an associated website."
}
UNAUTHORIZED_MANAGE = {
    "message": "The consumer isn't authorized to access %resources.",
    "parameters": {"resources": "Magento_Customer::manage"},
}
ADDRESS = {
    "region": {"region_code": "TX", "region": "Texas", "region_id": 57},
    "region_id": 57,
    "country_id": "US",
    "street": ["123 Oak Ave"],
    "telephone": "512-555-1111",
    "postcode": "10577",
    "city": "Purchase",
    "firstname": "Jane",
    "lastname": "Doe",
    "default_shipping": True,
    "default_billing": True,
}
JANE = {"email": "jdoe@example.com", "firstname": "Jane", "lastname": "Doe"}


def not_found(customer_id: Any) -> dict[str, Any]:
    return {
        "message": "No such entity with %fieldName = %fieldValue",
        "parameters": {"fieldName": "customerId", "fieldValue": customer_id},
    }


def customer_count(services) -> int:
    table = schema.customer_entity
    return services.db.run_read(lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(table)))


def test_create_account_answers_like_the_documentation(call, services) -> None:
    body = {"customer": {**JANE, "addresses": [ADDRESS]}, "password": PASSWORD}
    status, customer = call("POST", "/rest/V1/customers", body)
    assert status == 200
    assert customer["created_at"] == customer["updated_at"]
    assert without_times(customer) == {
        "id": 1,
        "group_id": 1,
        "default_billing": "1",
        "default_shipping": "1",
        "created_in": "Default Store View",
        "email": "jdoe@example.com",
        "firstname": "Jane",
        "lastname": "Doe",
        "store_id": 1,
        "website_id": 1,
        "addresses": [
            {
                "id": 1,
                "customer_id": 1,
                "region": {"region_code": "TX", "region": "Texas", "region_id": 57},
                "region_id": 57,
                "country_id": "US",
                "street": ["123 Oak Ave"],
                "telephone": "512-555-1111",
                "postcode": "10577",
                "city": "Purchase",
                "firstname": "Jane",
                "lastname": "Doe",
                "default_shipping": True,
                "default_billing": True,
            }
        ],
        "disable_auto_group_change": 0,
    }
    assert stored(services, 1).password_hash.startswith("$argon2id$")


def test_create_without_password_and_with_optional_fields(call, services) -> None:
    body = {
        "customer": {
            "email": "Max@Example.com",
            "firstname": "Max",
            "lastname": "Mustermann",
            "middlename": "M",
            "prefix": "Dr",
            "dob": "1980-02-29",
            "gender": 1,
            "taxvat": "DE123",
            "extension_attributes": {"is_subscribed": True},
            "custom_attributes": [],
        }
    }
    status, customer = call("POST", "/rest/all/V1/customers", body)
    assert status == 200
    assert without_times(customer) == {
        "id": 1,
        "group_id": 1,
        "created_in": "Default Store View",
        "dob": "1980-02-29",
        "email": "Max@Example.com",
        "firstname": "Max",
        "lastname": "Mustermann",
        "middlename": "M",
        "prefix": "Dr",
        "gender": 1,
        "store_id": 1,
        "website_id": 1,
        "taxvat": "DE123",
        "addresses": [],
        "disable_auto_group_change": 0,
    }
    assert stored(services, 1).password_hash is None


def test_create_errors_store_nothing(call, services, website2) -> None:
    required = '"%fieldName" is required. Enter and try again.'
    cases = [
        ({}, 400, {"message": required, "parameters": {"fieldName": "customer"}}),
        (
            {"customer": {"firstname": "A", "lastname": "B"}},
            400,
            {"message": "The customer email is missing. Enter and try again."},
        ),
        (
            {"customer": {"email": "not-an-email", "lastname": "B"}},
            400,
            {"message": '"First Name" is a required value.\n"Email" is not a valid email address.'},
        ),
        (
            {"customer": {"email": "a@b.io", "firstname": " ", "lastname": ""}},
            400,
            {"message": '"First Name" is a required value.\n"Last Name" is a required value.'},
        ),
        (
            {"customer": JANE, "password": "Sh0rt!"},
            400,
            {
                "message": "The password needs at least %1 characters. Create a new password and "
                "try again.",
                "parameters": [8],
            },
        ),
        (
            {"customer": JANE, "password": "alllowercase"},
            400,
            {
                "message": "Minimum of different classes of characters in password is %1. Classes "
                "of characters: Lower Case, Upper Case, Digits, Special Characters.",
                "parameters": [3],
            },
        ),
        (
            {"customer": JANE, "password": " Spaced0ut"},
            400,
            {
                "message": "The password can't begin or end with a space. Verify the password and "
                "try again."
            },
        ),
        (
            {"customer": {**JANE, "email": "Pa55@word.io"}, "password": "pa55@WORD.io"},
            400,
            {
                "message": "The password can't be the same as the email address. Create a new "
                "password and try again."
            },
        ),
        (
            {"customer": {**JANE, "website_id": 99}},
            404,
            {
                "message": "The website with id %1 that was requested wasn't found. Verify the "
                "website and try again.",
                "parameters": [99],
            },
        ),
        (
            {"customer": {**JANE, "store_id": 99}},
            404,
            {
                "message": "The store that was requested wasn't found. Verify the store and try "
                "again."
            },
        ),
        (
            {"customer": {**JANE, "website_id": 1, "store_id": website2["store_id"]}},
            400,
            {"message": "The store view is not in the associated website."},
        ),
        (
            {"customer": {**JANE, "dob": "1980-02-30"}},
            400,
            {
                "message": 'Invalid value of "%value" provided for the %fieldName field.',
                "parameters": {"value": "1980-02-30", "fieldName": "dob"},
            },
        ),
        (
            {"customer": {**JANE, "addresses": [{"firstname": "J", "country_id": "USA"}]}},
            400,
            {
                "message": "One or more input exceptions have occurred.",
                "errors": [
                    {"message": required, "parameters": {"fieldName": name}}
                    for name in ("lastname", "street", "city", "telephone", "postcode")
                ]
                + [
                    {
                        "message": 'Invalid value of "%value" provided for the %fieldName field.',
                        "parameters": {"value": "USA", "fieldName": "countryId"},
                    }
                ],
            },
        ),
        (
            {"customer": {**JANE, "custom_attributes": [{"attribute_code": "rank", "value": 1}]}},
            400,
            {
                "message": 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the '
                "attribute and try again.",
                "parameters": ["rank"],
            },
        ),
        (
            {"customer": {**JANE, "nickname": "JD"}},
            400,
            {
                "message": '"%fieldName" is not supported. Correct the field name and try again.',
                "parameters": {"fieldName": "Nickname"},
            },
        ),
    ]
    for body, status, expected in cases:
        assert call("POST", "/rest/V1/customers", body) == (status, expected), body
    assert customer_count(services) == 0


def test_email_is_unique_per_website_ignoring_case(call, token, website2) -> None:
    assert call("POST", "/rest/V1/customers", {"customer": JANE})[0] == 200
    shouting = {**JANE, "email": "JDOE@example.COM"}
    assert call("POST", "/rest/V1/customers", {"customer": shouting}) == (400, DUPLICATE)
    elsewhere = {**JANE, "website_id": website2["website_id"]}
    status, body = call("POST", "/rest/V1/customers", {"customer": elsewhere})
    assert (status, body["website_id"], body["store_id"], body["created_in"]) == (
        200,
        website2["website_id"],
        website2["store_id"],
        "French View",
    )
    # Moving the second account into the first one's website collides too.
    move = {"customer": {"website_id": 1, "store_id": 1}}
    assert call("PUT", f"/rest/V1/customers/{body['id']}", move, token) == (400, DUPLICATE)


def test_only_managers_choose_the_group(call, token, services) -> None:
    grouped = {"customer": {**JANE, "group_id": 2}}
    assert call("POST", "/rest/V1/customers", grouped) == (401, UNAUTHORIZED_MANAGE)
    assert customer_count(services) == 0
    status, body = call("POST", "/rest/V1/customers", grouped, token)
    assert (status, body["group_id"]) == (200, 2)
    unknown = {"customer": {**JANE, "email": "x@example.com", "group_id": 99}}
    assert call("POST", "/rest/V1/customers", unknown, token) == (
        400,
        {"message": "The specified customer group id does not exist."},
    )


def test_read_update_and_delete(call, token, services) -> None:
    body = {"customer": {**JANE, "addresses": [ADDRESS]}}
    created = call("POST", "/rest/V1/customers", body)[1]
    assert call("GET", "/rest/V1/customers/1", token=token) == (200, created)
    assert call("GET", "/rest/V1/customers/99", token=token) == (404, not_found(99))
    update = {"customer": {"lastname": "Smith", "middlename": "Q"}}
    status, updated = call("PUT", "/rest/V1/customers/1", update, token)
    assert status == 200
    assert without_times(updated) == {
        **without_times(created),
        "lastname": "Smith",
        "middlename": "Q",
    }
    # The address list, when given, is the whole list: kept by id, added, or dropped.
    second = {**ADDRESS, "city": "Austin", "default_billing": False, "default_shipping": False}
    addresses = {"customer": {"addresses": [{**ADDRESS, "id": 1, "city": "Dallas"}, second]}}
    status, updated = call("PUT", "/rest/V1/customers/1", addresses, token)
    assert status == 200
    assert [(a["id"], a["city"], a.get("default_billing")) for a in updated["addresses"]] == [
        (1, "Dallas", True),
        (2, "Austin", None),
    ]
    only_second = {"customer": {"addresses": [{**second, "id": 2}]}}
    status, updated = call("PUT", "/rest/V1/customers/1", only_second, token)
    assert [a["id"] for a in updated["addresses"]] == [2]
    assert ("default_billing" in updated, "default_shipping" in updated) == (False, False)
    choose = {"customer": {"default_billing": "2"}}
    status, updated = call("PUT", "/rest/V1/customers/1", choose, token)
    assert (updated["default_billing"], updated["addresses"][0]["default_billing"]) == ("2", True)
    foreign = {"customer": {"default_shipping": "7"}}
    assert call("PUT", "/rest/V1/customers/1", foreign, token) == (
        400,
        {
            "message": 'Invalid value of "%value" provided for the %fieldName field.',
            "parameters": {"value": "7", "fieldName": "default_shipping"},
        },
    )
    assert call("PUT", "/rest/V1/customers/1", {"customer": {"email": None}}, token) == (
        400,
        {"message": "The customer email is missing. Enter and try again."},
    )
    assert call("PUT", "/rest/V1/customers/99", {"customer": {"lastname": "X"}}, token) == (
        404,
        not_found(99),
    )
    assert call("PUT", "/rest/V1/customers/1", {"customer": {"lastname": "X"}}) == (
        401,
        UNAUTHORIZED_MANAGE,
    )
    assert call("DELETE", "/rest/V1/customers/1", token=token) == (200, True)
    assert call("GET", "/rest/V1/customers/1", token=token) == (404, not_found(1))
    assert call("DELETE", "/rest/V1/customers/1", token=token) == (404, not_found(1))
    addresses_left = services.db.run_read(
        lambda tx: tx.scalar(sa.select(sa.func.count()).select_from(schema.customer_address_entity))
    )
    assert addresses_left == 0


def test_search(call, token) -> None:
    for first, last in (("Ann", "Lee"), ("Bob", "Lee"), ("Cid", "Moe")):
        customer = {"email": f"{first.lower()}@example.com", "firstname": first, "lastname": last}
        assert call("POST", "/rest/V1/customers", {"customer": customer})[0] == 200
    query = (
        "searchCriteria[filter_groups][0][filters][0][field]=lastname"
        "&searchCriteria[filter_groups][0][filters][0][value]=Lee"
        "&searchCriteria[sortOrders][0][field]=firstname"
        "&searchCriteria[sortOrders][0][direction]=DESC"
        "&searchCriteria[pageSize]=1"
    )
    status, body = call("GET", f"/rest/V1/customers/search?{query}", token=token)
    assert status == 200
    assert [item["email"] for item in body["items"]] == ["bob@example.com"]
    assert without_times(body["items"][0])["addresses"] == []
    assert (body["total_count"], body["search_criteria"]) == (
        2,
        {
            "filter_groups": [{"filters": [{"field": "lastname", "value": "Lee"}]}],
            "sort_orders": [{"field": "firstname", "direction": "DESC"}],
            "page_size": 1,
        },
    )
    status, body = call(
        "GET",
        "/rest/V1/customers/search?searchCriteria[filter_groups][0][filters][0][field]=password_hash"
        "&searchCriteria[filter_groups][0][filters][0][value]=x",
        token=token,
    )
    assert (status, body) == (
        400,
        {"message": "Invalid attribute name: %1", "parameters": ["password_hash"]},
    )
    assert call("GET", "/rest/V1/customers/search?searchCriteria=") == (
        401,
        {
            "message": "The consumer isn't authorized to access %resources.",
            "parameters": {"resources": "Magento_Customer::customer"},
        },
    )
