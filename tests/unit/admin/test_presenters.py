"""What the admin page computes from the status services' answers."""

from __future__ import annotations

import pytest

from commerce_async.admin import presenters
from commerce_async.operations.model import serialize_operation_data
from commerce_async.webapi.routes import UserContext


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({}, (0, 0, 0, [0.0, 0.0, 0.0])),
        ({"1": 3}, (3, 0, 0, [100.0, 0.0, 0.0])),
        ({"1": 1, "3": 1, "4": 1}, (1, 1, 1, [33.33, 33.33, 33.34])),
        ({"1": 2, "2": 1}, (2, 1, 0, [66.67, 33.33, 0.0])),
        ({"1": 1, "2": 1, "3": 1, "5": 1, "4": 3}, (1, 3, 3, [14.29, 42.86, 42.85])),
        ({"4": 7}, (0, 0, 7, [0.0, 0.0, 100.0])),
    ],
)
def test_progress_segments_always_fill_the_bar(
    counts: dict[str, int], expected: tuple[int, int, int, list[float]]
) -> None:
    result = presenters.progress(counts)
    assert (result["complete"], result["failed"], result["open"], result["percent"]) == expected
    assert result["total"] == sum(expected[:3])
    assert sum(result["percent"]) in (0.0, 100.0)


def test_request_data_is_the_pretty_printed_input() -> None:
    serialized = serialize_operation_data({"product": {"sku": "A/1", "name": "Tée"}}, 1)
    text, store_id = presenters.readable_request(serialized)
    assert text == '{\n  "product": {\n    "sku": "A/1",\n    "name": "Tée"\n  }\n}'
    assert store_id == "1"


@pytest.mark.parametrize(
    ("serialized", "expected"),
    [
        (None, ("", None)),
        ("not json", ("not json", None)),
        ('"a string"', ('"a string"', None)),
        ('{"meta_information":"{broken","store_id":"0"}', ("{broken", "0")),
        ('{"meta_information":"[]","store_id":"2"}', ("[]", "2")),
    ],
)
def test_request_data_that_does_not_parse_is_shown_as_it_is(
    serialized: str | None, expected: tuple[str, str | None]
) -> None:
    assert presenters.readable_request(serialized) == expected


def test_user_names_and_filter_values() -> None:
    loaded = {(2, 1): UserContext(2, 1, None, username="admin"), (1, 3): None}

    def load(user_type: int, user_id: int) -> UserContext | None:
        return loaded.get((user_type, user_id))

    names = presenters.user_names([(2, 1), (1, 3), (3, 7), (4, None), (2, 1)], load)
    assert names == {
        (2, 1): "admin",
        (1, 3): "Integration #3",
        (3, 7): "Customer #7",
        (4, None): "Guest",
    }
    assert [presenters.user_filter_value(*key) for key in names] == [
        "admin-1",
        "integration-3",
        "customer-7",
        "guest",
    ]
    for key in names:
        assert presenters.parse_user_filter(presenters.user_filter_value(*key)) == key
    for bad in ("admin", "admin-", "admin-x", "guest-1", "robot-1", "-1", ""):
        assert presenters.parse_user_filter(bad) is None
