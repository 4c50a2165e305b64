"""searchCriteria parsing and execution (spec: magento-rest.md section 4)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from commerce_async.stores.repository import create_view

URL = "/rest/V1/echo/stores"


@pytest.fixture
def stores(echo_services) -> None:
    def work(tx) -> None:
        create_view(tx, "french", "French")
        create_view(tx, "german", "German")
        create_view(tx, "spanish", "Spanish")

    echo_services.db.run(work)


def _search(client: TestClient, query: dict[str, str]) -> dict:
    response = client.get(f"{URL}?{urlencode(query)}")
    assert response.status_code == 200, response.text
    return response.json()


def _codes(body: dict) -> list[str]:
    return [item["code"] for item in body["items"]]


def test_search_criteria_is_required(echo: TestClient) -> None:
    response = echo.get(URL)
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": '"%fieldName" is required. Enter and try again.',
            "parameters": {"fieldName": "searchCriteria"},
        },
    )


def test_empty_criteria_lists_everything(echo: TestClient, stores: None) -> None:
    body = _search(echo, {"searchCriteria": ""})
    assert body == {
        "items": [
            {"id": 0, "code": "admin"},
            {"id": 1, "code": "default"},
            {"id": 2, "code": "french"},
            {"id": 3, "code": "german"},
            {"id": 4, "code": "spanish"},
        ],
        "search_criteria": {},
        "total_count": 5,
    }


def test_filters_in_a_group_are_ored_groups_are_anded(echo: TestClient, stores: None) -> None:
    prefix = "searchCriteria[filter_groups]"
    body = _search(
        echo,
        {
            f"{prefix}[0][filters][0][field]": "code",
            f"{prefix}[0][filters][0][value]": "french",
            f"{prefix}[0][filters][1][field]": "code",
            f"{prefix}[0][filters][1][value]": "german",
            f"{prefix}[1][filters][0][field]": "store_id",
            f"{prefix}[1][filters][0][value]": "2",
            f"{prefix}[1][filters][0][condition_type]": "gt",
        },
    )
    assert _codes(body) == ["german"]
    assert body["total_count"] == 1
    assert body["search_criteria"] == {
        "filter_groups": [
            {
                "filters": [
                    {"field": "code", "value": "french"},
                    {"field": "code", "value": "german"},
                ]
            },
            {"filters": [{"field": "store_id", "value": "2", "condition_type": "gt"}]},
        ]
    }


def test_camel_case_spellings_and_paging(echo: TestClient, stores: None) -> None:
    body = _search(
        echo,
        {
            "searchCriteria[filterGroups][0][filters][0][field]": "store_id",
            "searchCriteria[filterGroups][0][filters][0][value]": "1",
            "searchCriteria[filterGroups][0][filters][0][conditionType]": "gteq",
            "searchCriteria[sortOrders][0][field]": "code",
            "searchCriteria[sortOrders][0][direction]": "ASC",
            "searchCriteria[pageSize]": "2",
            "searchCriteria[currentPage]": "2",
        },
    )
    assert _codes(body) == ["german", "spanish"]
    assert body["total_count"] == 4
    assert body["search_criteria"]["page_size"] == 2
    assert body["search_criteria"]["current_page"] == 2
    beyond = _search(echo, {"searchCriteria[pageSize]": "2", "searchCriteria[currentPage]": "9"})
    assert beyond["items"] == [] and beyond["total_count"] == 5


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ("eq", "french", ["french"]),
        ("neq", "french", ["admin", "default", "german", "spanish"]),
        ("like", "%an%", ["german", "spanish"]),
        ("nlike", "%an%", ["admin", "default", "french"]),
        ("in", "french,spanish", ["french", "spanish"]),
        ("nin", "french,spanish,admin", ["default", "german"]),
        ("null", "", []),
        ("notnull", "", ["admin", "default", "french", "german", "spanish"]),
        ("finset", "german", ["german"]),
        ("from", "german", ["german", "spanish"]),
        ("to", "default", ["admin", "default"]),
    ],
)
def test_condition_types(
    echo: TestClient, stores: None, condition: str, value: str, expected: list[str]
) -> None:
    body = _search(
        echo,
        {
            "searchCriteria[filter_groups][0][filters][0][field]": "code",
            "searchCriteria[filter_groups][0][filters][0][value]": value,
            "searchCriteria[filter_groups][0][filters][0][condition_type]": condition,
            "searchCriteria[sort_orders][0][field]": "code",
            "searchCriteria[sort_orders][0][direction]": "ASC",
        },
    )
    assert _codes(body) == expected


def test_sort_without_direction_is_descending(echo: TestClient, stores: None) -> None:
    body = _search(echo, {"searchCriteria[sortOrders][0][field]": "store_id"})
    assert _codes(body) == ["spanish", "german", "french", "default", "admin"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {
                "searchCriteria[filter_groups][0][filters][0][field]": "password",
                "searchCriteria[filter_groups][0][filters][0][value]": "x",
            },
            {"message": "Invalid attribute name: %1", "parameters": ["password"]},
        ),
        (
            {
                "searchCriteria[filter_groups][0][filters][0][field]": "code; DROP TABLE store",
                "searchCriteria[filter_groups][0][filters][0][value]": "x",
            },
            {"message": "Invalid attribute name: %1", "parameters": ["code; DROP TABLE store"]},
        ),
        (
            {"searchCriteria[sortOrders][0][field]": '"code"'},
            {"message": "Invalid attribute name: %1", "parameters": ['"code"']},
        ),
        (
            {
                "searchCriteria[filter_groups][0][filters][0][field]": "code",
                "searchCriteria[filter_groups][0][filters][0][condition_type]": "regexp",
            },
            {"message": 'Invalid condition type "%1".', "parameters": ["regexp"]},
        ),
        (
            {"searchCriteria[pageSize]": "100000000"},
            {"message": "Maximum SearchCriteria pageSize is %1", "parameters": [10000]},
        ),
        (
            {"searchCriteria[pageSize]": "-1"},
            {"message": "The pageSize value is invalid: %1", "parameters": [-1]},
        ),
        (
            {
                "searchCriteria[sortOrders][0][field]": "code",
                "searchCriteria[sortOrders][0][direction]": "SIDEWAYS",
            },
            {"message": 'The "%1" sort direction is invalid.', "parameters": ["SIDEWAYS"]},
        ),
        (
            {
                "searchCriteria[filter_groups][0][filters][0][field]": "store_id",
                "searchCriteria[filter_groups][0][filters][0][value]": "one",
            },
            {
                "message": 'Invalid value of "%value" provided for the %fieldName field.',
                "parameters": {"value": "one", "fieldName": "store_id"},
            },
        ),
        (
            {"searchCriteria[pageSize]": "ten"},
            {
                "message": 'Error occurred during "page_size" processing. The "ten" value\'s '
                'type is invalid. The "int" type was expected. Verify and try again.'
            },
        ),
    ],
)
def test_bad_criteria_are_400(echo: TestClient, stores: None, query: dict, expected: dict) -> None:
    response = echo.get(f"{URL}?{urlencode(query)}")
    assert (response.status_code, response.json()) == (400, expected)
    assert echo.get(f"{URL}?searchCriteria=").status_code == 200
