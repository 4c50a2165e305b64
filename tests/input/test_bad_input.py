"""Bad input over every route of the table, in every form (sync, async, bulk): a Magento-style
4xx, nothing stored, and the next valid request still served.

The cases are derived from each route's declared parameters and types, so routes that modules add
are covered without touching this file.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from commerce_async import bootstrap
from commerce_async.auth import tokens
from commerce_async.errors import InputError
from commerce_async.webapi.routes import USER_CUSTOMER
from commerce_async.webapi.types import ObjectType, Type
from tests import surface
from tests.input.conftest import MAX_BODY
from tests.security.conftest import World

ROUTES = bootstrap.collect_routes()
FORMS = surface.forms(ROUTES)
BODY_FORMS = [form for form in FORMS if form.reads_a_body]
WRONG_CANDIDATES: list[Any] = ["not-this-type", {"an": "object"}, 12345, True, [1, 2]]


def token_for(world: World, form: surface.Form) -> str:
    """A fresh customer token for customers' own routes (a case that reached the revocation
    route must not spoil the next), the admin's for the others."""
    if not surface.is_self(form.route):
        return world.admin
    return world.services.db.run(
        lambda tx: tokens.issue(tx, USER_CUSTOMER, world.customer_id, 3600, time.time())
    )


def send(world: World, form: surface.Form, body: bytes | None, **headers: str):
    sent = world.headers(token_for(world, form))
    sent.update(headers)
    sent = {name: value for name, value in sent.items() if value is not None}
    return world.client.request(form.method, form.path, content=body, headers=sent)


def assert_magento_error(response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]
    assert set(body) <= {"message", "parameters", "errors", "code"}, body
    return body


def still_serving(world: World) -> None:
    response = world.client.get("/rest/V1/store/websites", headers=world.headers(world.admin))
    assert response.status_code == 200


def assert_refused(world: World, form: surface.Form, body: bytes | None, status=None, **headers):
    before = (world.bulks(), world.operations())
    response = send(world, form, body, **headers)
    error = assert_magento_error(response, status)
    assert (world.bulks(), world.operations()) == before, form.id
    still_serving(world)
    return error


def wrap(form: surface.Form, item: Any) -> bytes:
    return json.dumps(form.body(item)).encode()


def body_params(form: surface.Form):
    """Body parameters the caller controls (forced ones come from the token)."""
    forced = {target.split(".")[0] for target in form.route.forced}
    return [p for p in form.route.params if p.source == "body" and p.name not in forced]


# --- transport-level refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("form", BODY_FORMS, ids=lambda form: form.id)
def test_malformed_json(world: World, form: surface.Form) -> None:
    error = assert_refused(world, form, b'{"product": {"sku": "a",', 400)
    assert error == {"message": "Decoding error."}


def needs_a_body(form: surface.Form) -> bool:
    """Bulk bodies always; other forms when a required parameter can only come from it."""
    return form.mode == "bulk" or any(p.required for p in body_params(form))


@pytest.mark.parametrize(
    "form", [f for f in BODY_FORMS if needs_a_body(f)], ids=lambda form: form.id
)
def test_empty_body(world: World, form: surface.Form) -> None:
    assert_refused(world, form, b"", 400)


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        (None, "Content-Type header is empty."),
        ("", "Content-Type header is empty."),
        ("json", "Content-Type header is invalid."),
        ("text/plain", "Server cannot understand Content-Type HTTP header media type %1"),
        ("application/xml", "Server cannot understand Content-Type HTTP header media type %1"),
        ("application/json; charset=iso-8859-1", "UTF-8 is the only supported charset."),
        ("application/json; charset=utf-16", "UTF-8 is the only supported charset."),
    ],
)
@pytest.mark.parametrize("form", BODY_FORMS, ids=lambda form: form.id)
def test_content_type(world: World, form: surface.Form, content_type, message) -> None:
    body = wrap(form, {})
    error = assert_refused(world, form, body, 400, **{"Content-Type": content_type})
    assert error["message"] == message


@pytest.mark.parametrize("form", BODY_FORMS, ids=lambda form: form.id)
def test_body_over_the_size_limit_is_413(world: World, form: surface.Form) -> None:
    body = wrap(form, {"padding": "x" * MAX_BODY})
    error = assert_refused(world, form, body, 413)
    assert error == {
        "message": "The request body is larger than the limit of %limit bytes.",
        "parameters": {"limit": MAX_BODY},
    }


@pytest.mark.parametrize("depth", [65, 5000])
@pytest.mark.parametrize("form", BODY_FORMS, ids=lambda form: form.id)
def test_deeply_nested_json(world: World, form: surface.Form, depth: int) -> None:
    nested = b"[" * depth + b"]" * depth
    body = b'{"a": ' + nested + b"}" if form.mode != "bulk" else b"[" + nested + b"]"
    assert_refused(world, form, body, 400)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "\xff\xfe"}',  # not UTF-8
        b'{"a": "\\ud800"}',  # a lone surrogate
        b'{"a": "nul \\u0000 inside"}',
        b'{"a": 1e999999}',
        b'{"a": NaN}',
        b'{"a": 1} trailing',
        b"\xef\xbb\xbf{}",  # a byte-order mark
    ],
    ids=["latin1", "surrogate", "nul", "huge-exponent", "nan", "trailing", "bom"],
)
@pytest.mark.parametrize("form", BODY_FORMS, ids=lambda form: form.id)
def test_undecodable_or_unstorable_text(world: World, form: surface.Form, raw: bytes) -> None:
    body = raw if form.mode != "bulk" else b"[" + raw + b"]"
    assert_refused(world, form, body, 400)


@pytest.mark.parametrize("form", BODY_FORMS, ids=lambda form: form.id)
def test_duplicate_keys_are_refused(world: World, form: surface.Form) -> None:
    """PHP keeps the last of two equal keys silently; a client sending both surely meant only
    one of them, so the request is refused rather than guessed."""
    body = b'{"x": 1, "nested": {"sku": "a", "sku": "b"}}'
    error = assert_refused(world, form, body if form.mode != "bulk" else b"[" + body + b"]", 400)
    assert error == {
        "message": 'Decoding error: the key "%1" appears twice.',
        "parameters": ["sku"],
    }


# --- refusals by the route's declared parameters ------------------------------------------------


def wrong_value(value_type: Type) -> Any:
    """A JSON value the type refuses, found by asking the type itself."""
    for candidate in WRONG_CANDIDATES:
        errors: list[InputError] = []
        value_type.convert(candidate, "field", errors)
        if errors:
            return candidate
    return None


def wrong_type_cases():
    for form in BODY_FORMS:
        for param in body_params(form):
            value = wrong_value(param.type)
            if value is not None:
                yield pytest.param(form, param.name, value, id=f"{form.id} {param.name}")


def unknown_field_cases():
    for form in BODY_FORMS:
        for param in body_params(form):
            if isinstance(param.type, ObjectType) and not param.type.allow_extra:
                yield pytest.param(form, param.name, id=f"{form.id} {param.name}")


@pytest.mark.parametrize(("form", "name", "value"), list(wrong_type_cases()))
def test_wrong_types(world: World, form: surface.Form, name: str, value: Any) -> None:
    item = {name: value}
    if form.mode == "bulk":
        item.update({p: "probe" for p in form.route.path_params if p != name})
    assert_refused(world, form, wrap(form, item), 400)


@pytest.mark.parametrize(("form", "name"), list(unknown_field_cases()))
def test_unknown_fields(world: World, form: surface.Form, name: str) -> None:
    error = assert_refused(world, form, wrap(form, {name: {"no_such_field_here": 1}}), 400)
    assert "NoSuchFieldHere" in json.dumps(error)


@pytest.mark.parametrize(
    "form", [f for f in BODY_FORMS if f.mode == "bulk"], ids=lambda form: form.id
)
@pytest.mark.parametrize("body", [b"{}", b'{"product": {}}', b'"text"', b"42", b"[1, 2]", b"[[]]"])
def test_bulk_bodies_that_are_not_lists_of_objects(world: World, form, body: bytes) -> None:
    assert_refused(world, form, body, 400)


def forced_object_cases():
    for form in BODY_FORMS:
        for target in form.route.forced:
            name = target.split(".")[0]
            param = form.route.param(name)
            if "." in target and param is not None:
                yield pytest.param(form, name, wrong_value(param.type), id=f"{form.id} {name}")


@pytest.mark.parametrize(("form", "name", "value"), list(forced_object_cases()))
def test_a_forced_field_does_not_make_a_wrong_value_valid(world, form, name, value) -> None:
    """``customer.id`` is forced from the token on ``me`` routes: a ``customer`` that is not an
    object must still be refused, not replaced by ``{"id": ...}``."""
    assert_refused(world, form, wrap(form, {name: value}), 400)
