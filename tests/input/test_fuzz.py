"""Property-based fuzzing of the whole HTTP surface: requests generated from the route table with
random methods, store codes, path values, headers, query strings and bodies (well-formed JSON
shaped like the route's parameters, arbitrary JSON, raw bytes). Whatever arrives, the answer is
never a 5xx, every error is Magento's envelope, and the service keeps serving.

The budget is bounded for CI (``FUZZ_EXAMPLES``, default 1000 generated requests, and half as
many raw URLs).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce_async import bootstrap
from commerce_async.webapi.types import (
    ArrayType,
    BoolType,
    FloatType,
    IntType,
    ObjectType,
    StringType,
    Type,
)
from tests import surface
from tests.input.test_bad_input import still_serving
from tests.security.conftest import World, build_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000"))
FORMS = surface.forms(bootstrap.collect_routes())
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("fuzz"), max_body_bytes=256 * 1024)


# --- strategies ----------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "0", "1", "-1", "true", "null", "1e999", "<script>", "%", "me", "all"]),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def shaped(value_type: Type, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like ``value_type`` most of the time, anything some of the time."""
    if depth > 3:
        return json_values
    if isinstance(value_type, ObjectType):
        fields = {name: shaped(field.type, depth + 1) for name, field in value_type.fields.items()}
        return st.fixed_dictionaries({}, optional=fields) | json_values
    if isinstance(value_type, ArrayType):
        return st.lists(shaped(value_type.items, depth + 1), max_size=3) | json_values
    if isinstance(value_type, IntType):
        return st.integers(min_value=-(2**66), max_value=2**66) | scalars
    if isinstance(value_type, FloatType):
        return st.floats(allow_nan=False, allow_infinity=False) | scalars
    if isinstance(value_type, BoolType):
        return st.booleans() | scalars
    if isinstance(value_type, StringType):
        return st.text(max_size=30) | scalars
    return json_values


def body_for(form: surface.Form) -> st.SearchStrategy[Any]:
    params = {p.name: shaped(p.type) for p in form.route.params if p.source == "body"}
    item = st.fixed_dictionaries({}, optional=params) if params else st.just({})
    if form.mode == "bulk":
        return st.lists(item, max_size=3) | json_values
    return item | json_values


path_values = st.one_of(
    st.just(None),
    st.text(max_size=20).map(lambda text: quote(text, safe="")),
    st.sampled_from(["..", "%2e%2e", "%2F", "%FF", "me", "bySku", "0", "-1", str(2**70)]),
)
query_keys = st.sampled_from(
    [
        "searchCriteria",
        "searchCriteria[pageSize]",
        "searchCriteria[currentPage]",
        "searchCriteria[filterGroups][0][filters][0][field]",
        "searchCriteria[filterGroups][0][filters][0][value]",
        "searchCriteria[filterGroups][0][filters][0][conditionType]",
        "searchCriteria[filter_groups][1][filters][0][field]",
        "searchCriteria[sortOrders][0][field]",
        "searchCriteria[sortOrders][0][direction]",
        "searchCriteria[a][b][c][d][e][f][g][h][i]",
        "fields",
        "storeId",
        "editMode",
    ]
)
query_values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["id", "sku", "status", "name", "price", "entity_id", "eq", "in", "like", "finset", "ASC"]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "",
        None,
        "application/vnd.api+json",
        "multipart/form-data; boundary=x",
    ]
)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    form: surface.Form = draw(st.sampled_from(FORMS))
    method = draw(st.one_of(st.just(form.method), methods))
    path = form.path
    replacement = draw(path_values)
    if replacement is not None:
        for name in form.route.path_params:
            path = path.replace(f"/{surface.path_value(form.route, name)}", f"/{replacement}", 1)
    store = draw(st.sampled_from(["default", "default", "all", "admin", "nowhere", "V1"]))
    path = path.replace("/rest/default/", f"/rest/{store}/", 1)
    kind = draw(st.sampled_from(["shaped", "shaped", "json", "raw", "none"]))
    body: bytes | None
    if kind == "shaped":
        body = json.dumps(draw(body_for(form))).encode()
    elif kind == "json":
        body = json.dumps(draw(json_values)).encode()
    elif kind == "raw":
        body = draw(st.binary(max_size=200))
    else:
        body = None
    query = draw(st.dictionaries(query_keys, query_values, max_size=5))
    return {
        "form": form,
        "method": method,
        "path": path,
        "query": query,
        "body": body,
        "content_type": draw(content_types),
        "caller": draw(st.sampled_from(["admin", "customer", "integration", "none", "junk"])),
    }


# --- the properties ------------------------------------------------------------------------------


def assert_answered_well(response: Any, request: Any) -> None:
    assert response.status_code < 500, (request, response.status_code, response.text[:500])
    if response.status_code >= 400 and request.get("method") != "HEAD":
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("message"), str), response.text
        assert "trace" not in body


@FUZZ
@given(request=requests())
def test_no_request_gets_a_5xx(world: World, request: dict[str, Any]) -> None:
    token = {"none": None, "junk": "x" * 40}.get(request["caller"])
    if request["caller"] in ("admin", "customer", "integration"):
        token = getattr(world, request["caller"])
    headers = world.headers(token)
    headers.pop("Content-Type")
    if request["content_type"] is not None:
        headers["Content-Type"] = request["content_type"]
    response = world.client.request(
        request["method"],
        request["path"],
        params=request["query"],
        content=request["body"],
        headers=headers,
    )
    assert_answered_well(response, request)


_PATH_BYTES = st.binary(max_size=60).filter(lambda raw: b"?" not in raw and b"#" not in raw)


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(
    prefix=st.sampled_from([b"/rest/V1/", b"/rest/default/V1/", b"/rest/all/async/V1/", b"/rest/"]),
    raw=_PATH_BYTES,
    query=st.binary(max_size=60),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
)
def test_raw_bytes_in_the_url_never_get_a_5xx(world, prefix, raw, query, method) -> None:
    """Straight to the ASGI application, bypassing any client-side encoding: raw non-ASCII and
    invalid UTF-8 bytes, NUL and control characters in the path and the query string."""
    app = world.client.app
    raw_path = prefix + raw
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "headers": [
            (b"authorization", f"Bearer {world.admin}".encode()),
            (b"content-type", b"application/json"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    status, body = asyncio.run(_call(app, scope, b"{}"))
    assert status < 500, (raw_path, query, body[:300])
    if status >= 400:
        assert "message" in json.loads(body)


async def _call(app: Any, scope: dict, body: bytes) -> tuple[int, bytes]:
    sent = [{"type": "http.request", "body": body, "more_body": False}]
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict:
        return sent.pop(0) if sent else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["body"]


def test_still_serving_after_the_fuzzing(world: World) -> None:
    still_serving(world)
