"""Every route of the table, in every form (sync, async, bulk), refuses callers who may not use it
with Magento's 401, before reading the body and before storing anything."""

from __future__ import annotations

import pytest

from commerce_async import bootstrap
from commerce_async.errors import NOT_AUTHORIZED
from tests import surface
from tests.security.conftest import World

ROUTES = bootstrap.collect_routes()
GUARDED = [form for form in surface.forms(ROUTES) if not surface.is_anonymous(form.route)]
# Callers that are guests whatever their token says.
GUESTS = ("none", "expired", "revoked", "deactivated")


def refused(form: surface.Form) -> dict:
    return {"message": NOT_AUTHORIZED, "parameters": {"resources": ", ".join(form.route.resources)}}


def token_of(world: World, caller: str) -> str | None:
    return None if caller == "none" else getattr(world, caller)


def call(world: World, form: surface.Form, token: str | None, raw: bytes | None = None):
    body = raw if raw is not None else (b"[{}]" if form.mode == "bulk" else b"{}")
    return world.client.request(form.method, form.path, content=body, headers=world.headers(token))


def assert_refused(world: World, form: surface.Form, token: str | None, raw: bytes | None = None):
    bulks, operations = world.bulks(), world.operations()
    response = call(world, form, token, raw)
    assert (response.status_code, response.json()) == (401, refused(form)), form.id
    assert (world.bulks(), world.operations()) == (bulks, operations), form.id


def test_the_table_under_test_is_the_service_table(world: World) -> None:
    assert [r.path for r in world.services.routes.routes] == [r.path for r in ROUTES]
    assert {form.mode for form in GUARDED} == {"sync", "async", "bulk"}


@pytest.mark.parametrize("caller", GUESTS)
@pytest.mark.parametrize("form", GUARDED, ids=lambda form: form.id)
def test_guests_and_dead_tokens_are_refused(world: World, form: surface.Form, caller: str):
    assert_refused(world, form, token_of(world, caller))


@pytest.mark.parametrize(
    "form",
    [f for f in GUARDED if not f.route.owner_access],
    ids=lambda form: form.id,
)
def test_an_integration_without_the_resource_is_refused(world: World, form: surface.Form):
    assert_refused(world, form, world.unrelated)


@pytest.mark.parametrize(
    "form",
    [f for f in GUARDED if surface.is_admin_only(f.route) and not f.route.owner_access],
    ids=lambda form: form.id,
)
def test_a_customer_token_reaches_no_admin_route(world: World, form: surface.Form):
    assert_refused(world, form, world.customer)


@pytest.mark.parametrize(
    "form", [f for f in GUARDED if surface.is_self(f.route)], ids=lambda form: form.id
)
@pytest.mark.parametrize("caller", ["admin", "integration"])
def test_self_routes_are_for_customers_only(world: World, form: surface.Form, caller: str):
    assert_refused(world, form, token_of(world, caller))


@pytest.mark.parametrize("form", [f for f in GUARDED if f.reads_a_body], ids=lambda form: form.id)
def test_refusal_comes_before_the_body_is_read(world: World, form: surface.Form):
    """A guest learns nothing from how its body is judged: malformed JSON is still a 401."""
    assert_refused(world, form, None, raw=b'{"malformed": ')
