"""Well-formed but hostile values over the route table: ``searchCriteria`` naming unknown,
quoted or SQL-like fields and absurd pages, numbers beyond 64 bits, strange path segments and huge
strings. Refusals are Magento-style 4xx with nothing stored; nothing is ever a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commerce_async import bootstrap
from commerce_async.webapi.search import SearchCriteriaType
from commerce_async.webapi.types import INT_MAX, IntType, ObjectType, StringType, snake_case
from tests import surface
from tests.input.test_bad_input import assert_magento_error, assert_refused, still_serving
from tests.security.conftest import World, build_world

ROUTES = bootstrap.collect_routes()
FORMS = surface.forms(ROUTES)
HUGE = str(10**30)
F = "searchCriteria[filterGroups][0][filters][0]"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("hostile"), max_body_bytes=4 * 1024 * 1024)


def list_forms() -> list[surface.Form]:
    return [
        form
        for form in FORMS
        if any(isinstance(p.type, SearchCriteriaType) for p in form.route.params)
    ]


def search(world: World, form: surface.Form, params: dict[str, str]):
    before = (world.bulks(), world.operations())
    response = world.client.get(form.path, params=params, headers=world.headers(world.admin))
    assert response.status_code < 500, (form.id, params, response.text)
    assert (world.bulks(), world.operations()) == before
    return response


BAD_FIELDS = [
    "no_such_field",
    '"sku"',
    "`sku`",
    "sku'",
    "sku; DROP TABLE magento_bulk; --",
    "1=1 OR 1",
    "(SELECT 1)",
    "sku--",
    "%",
    "../id",
]


def test_every_list_route_is_covered() -> None:
    assert {form.route.path for form in list_forms()} >= {"/V1/bulk", "/V1/products"}


@pytest.mark.parametrize("field", BAD_FIELDS)
@pytest.mark.parametrize("form", list_forms(), ids=lambda form: form.id)
def test_unknown_quoted_or_sql_like_field_names(world: World, form, field: str) -> None:
    for params in (
        {f"{F}[field]": field, f"{F}[value]": "1"},
        {"searchCriteria[sortOrders][0][field]": field, "searchCriteria[pageSize]": "1"},
    ):
        assert_magento_error(search(world, form, params), 400)
    still_serving(world)


@pytest.mark.parametrize(
    "params",
    [
        {"searchCriteria[pageSize]": "-1"},
        {"searchCriteria[pageSize]": "1000001"},
        {"searchCriteria[pageSize]": HUGE},
        {"searchCriteria[pageSize]": "ten"},
        {"searchCriteria[pageSize]": "1e3"},
        {"searchCriteria[currentPage]": HUGE, "searchCriteria[pageSize]": "10"},
        {
            "searchCriteria[sortOrders][0][field]": "id",
            "searchCriteria[sortOrders][0][direction]": "SIDEWAYS; --",
        },
        {f"{F}[field]": "id", f"{F}[value]": "1", f"{F}[conditionType]": "regexp"},
        {f"{F}[field]": "id", f"{F}[value]": "1", f"{F}[conditionType]": "eq; DROP"},
    ],
    ids=lambda params: "&".join(f"{k[15:]}={v[:12]}" for k, v in params.items()),
)
@pytest.mark.parametrize("form", list_forms(), ids=lambda form: form.id)
def test_absurd_pages_sorts_and_conditions(world: World, form, params: dict) -> None:
    assert_magento_error(search(world, form, params), 400)


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, str(2**63), "1e400", "nan", f"{HUGE},{HUGE}1"])
@pytest.mark.parametrize("condition", ["eq", "gt", "in", "like"])
@pytest.mark.parametrize("form", list_forms(), ids=lambda form: form.id)
def test_numbers_beyond_64_bits_never_break_a_search(world, form, value, condition) -> None:
    """Whatever the field, a number no column can hold answers a 4xx or an empty match."""
    for field in ("id", "entity_id", "status", "price", "category_id", "website_id"):
        response = search(
            world,
            form,
            {f"{F}[field]": field, f"{F}[value]": value, f"{F}[conditionType]": condition},
        )
        if response.status_code != 200:
            assert_magento_error(response)


# --- path segments ------------------------------------------------------------------------------

SEGMENTS = [
    "caf\u00e9-\u00fc-\u65e5\u672c-\U0001f600",
    "%C3%A9t%C3%A9",
    "a%2Fb",
    "%252F",
    "..",
    "%2e%2e",
    "%FF%FE",
    "me",
    "x" * 5000,
    HUGE,
    "-1",
    "0",
    "%20",
]


def segment_cases():
    for form in FORMS:
        if form.mode != "bulk" and form.route.path_params:
            for segment in SEGMENTS:
                yield pytest.param(form, segment, id=f"{form.id} {segment[:16]}")


def with_segment(form: surface.Form, segment: str) -> str:
    template = ("/async" if form.mode == "async" else "") + form.route.path
    for name in form.route.path_params:
        template = template.replace(f":{name}", segment)
    return form.path.split("/V1/")[0].removesuffix("/async") + template


@pytest.mark.parametrize(("form", "segment"), list(segment_cases()))
def test_strange_path_segments(world: World, form: surface.Form, segment: str) -> None:
    path = with_segment(form, segment)
    body = b"{}" if form.method != "GET" else None
    response = world.client.request(
        form.method, path, content=body, headers=world.headers(world.admin)
    )
    assert response.status_code < 500, (path, response.text)
    if response.status_code >= 400:
        assert_magento_error(response)
    still_serving(world)


# --- big values in bodies ------------------------------------------------------------------------


def string_fields(form: surface.Form) -> dict:
    """Each body parameter with every string field of its object set to one huge string."""
    huge = "\u00e9" * 512 * 1024  # 1 MB of UTF-8
    item: dict = {}
    for param in form.route.params:
        if param.source != "body":
            continue
        if isinstance(param.type, StringType):
            item[param.name] = huge
        elif isinstance(param.type, ObjectType):
            item[param.name] = {
                name: huge
                for name, field in param.type.fields.items()
                if isinstance(field.type, StringType)
            }
    return item


@pytest.mark.parametrize("form", [f for f in FORMS if string_fields(f)], ids=lambda form: form.id)
def test_huge_strings_are_judged_like_any_value(world: World, form: surface.Form) -> None:
    token = world.customer if surface.is_self(form.route) else world.admin
    response = world.client.request(
        form.method, form.path, json=form.body(string_fields(form)), headers=world.headers(token)
    )
    assert response.status_code < 500, (form.id, response.text[:300])
    if response.status_code >= 400:
        assert_magento_error(response)
    still_serving(world)


def overwritten(form: surface.Form, param: str, field: str) -> bool:
    """Fields the request cannot set: filled from the path (PUT) or forced from the token."""
    from_path = form.method == "PUT" and snake_case(field) in {
        snake_case(name) for name in form.route.path_params
    }
    return from_path or f"{param}.{field}" in form.route.forced


def int_cases():
    for form in FORMS:
        if not form.reads_a_body:
            continue
        for param in form.route.params:
            if param.source == "body" and isinstance(param.type, ObjectType):
                for name, field in param.type.fields.items():
                    if isinstance(field.type, IntType) and not overwritten(form, param.name, name):
                        yield pytest.param(form, param.name, name, id=f"{form.id} {name}")


@pytest.mark.parametrize(("form", "param", "field"), list(int_cases()))
def test_integers_beyond_64_bits_are_refused(world, form, param: str, field: str) -> None:
    item = {param: {field: INT_MAX + 1}}
    assert_refused(world, form, surface_json(form, item), 400)


def surface_json(form: surface.Form, item: dict) -> bytes:
    import json

    return json.dumps(form.body(item)).encode()
