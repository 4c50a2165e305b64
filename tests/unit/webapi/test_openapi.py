"""The Swagger 2.0 documents: validity, ACL filtering, the async and bulk shapes, exact output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from commerce_async import bootstrap
from commerce_async.bootstrap import Services
from commerce_async.setup import upgrade
from commerce_async.stores import service as stores_service
from commerce_async.webapi import openapi
from commerce_async.webapi.app import create_app
from commerce_async.webapi.routes import (
    GUEST,
    SELF,
    SYSTEM,
    USER_CUSTOMER,
    Param,
    Route,
    UserContext,
)
from commerce_async.webapi.types import BOOL, INT, STRING, Field, ObjectType
from tests import echo_routes
from tests.support import admin_token, integration_token, make_settings

SCHEMA_URLS = {
    "sync": "/rest/default/schema?services=all",
    "async": "/rest/default/async/schema?services=all",
    "bulk": "/rest/default/async/bulk/schema?services=all",
}
ERROR = {"$ref": "#/definitions/error-response"}
ASYNC_RESPONSE = {
    "description": "202 Accepted.",
    "schema": {"$ref": "#/definitions/asynchronous-operations-data-async-response-interface"},
}


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    }


@pytest.fixture
def fixed_services(tmp_path: Path) -> Iterator[Services]:
    """A route table that other modules cannot grow: the echo routes and the store routes."""
    built = bootstrap.build(
        make_settings(tmp_path), routes=[*echo_routes.ROUTES, *stores_service.ROUTES]
    )
    upgrade(built)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def fixed(fixed_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(fixed_services, consumers=0)) as test_client:
        yield test_client


# --- validity ------------------------------------------------------------------------------------


def test_every_document_of_the_whole_app_is_valid_swagger(
    echo: TestClient, echo_auth: dict[str, str]
) -> None:
    for mode, url in SCHEMA_URLS.items():
        for headers in (echo_auth, {}):
            response = echo.get(url, headers=headers)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json; charset=utf-8"
            document = response.json()
            validate(document)
            assert document["swagger"] == "2.0", mode
            assert document["info"] == {"version": "2.4", "title": "commerce-async"}
            assert document["host"] == "testserver"
            assert document["schemes"] == ["http"]
            assert document["paths"] or not headers, mode


def test_the_real_route_table_is_described_in_full_for_the_system(services: Services) -> None:
    """Every route of every domain module, in all three documents, validates; the system (an
    admin with every resource) sees every route but the customers' own ``self`` routes."""
    routes = services.routes.routes
    for mode in ("sync", "async", "bulk"):
        document = openapi.build_document(
            routes, mode, SYSTEM, base_path="/rest", host="h", scheme="http"
        )
        validate(document)
        listed = [r for r in routes if SELF not in r.resources and (mode == "sync" or r.has_async)]
        if mode == "bulk":
            expected = {
                (r.method, path) for r in listed for path in (r.bulk_path, r.bulk_alias) if path
            }
        else:
            expected = {(r.method, openapi.swagger_path(r.path)) for r in listed}
        assert operations(document) == expected


def test_a_customer_sees_its_self_routes(services: Services) -> None:
    customer = UserContext(USER_CUSTOMER, 1)
    document = openapi.build_document(
        services.routes.routes, "sync", customer, base_path="/rest", host="h", scheme="http"
    )
    validate(document)
    self_routes = {
        (r.method, openapi.swagger_path(r.path))
        for r in services.routes.routes
        if SELF in r.resources
    }
    assert self_routes and self_routes <= operations(document)


# --- ACL filtering -------------------------------------------------------------------------------


def test_anonymous_callers_see_only_anonymous_routes(fixed: TestClient) -> None:
    sync = fixed.get(SCHEMA_URLS["sync"]).json()
    assert operations(sync) == {("GET", "/V1/echo/stores"), ("POST", "/V1/echo/prices/check")}
    asynchronous = fixed.get(SCHEMA_URLS["async"]).json()
    assert operations(asynchronous) == {("POST", "/V1/echo/prices/check")}
    bulk = fixed.get(SCHEMA_URLS["bulk"]).json()
    assert operations(bulk) == {("POST", "/V1/echo/prices/check")}


def test_an_integration_sees_the_routes_of_its_resources(
    fixed: TestClient, fixed_services: Services
) -> None:
    token = integration_token(fixed_services, "echo-only", [echo_routes.RESOURCE])
    headers = {"Authorization": f"Bearer {token}"}
    sync = fixed.get(SCHEMA_URLS["sync"], headers=headers).json()
    assert operations(sync) == {
        ("POST", "/V1/echo/items"),
        ("PUT", "/V1/echo/items/{sku}"),
        ("GET", "/V1/echo/items/search"),
        ("GET", "/V1/echo/items/{sku}"),
        ("DELETE", "/V1/echo/items/{sku}"),
        ("GET", "/V1/echo/stores"),
        ("POST", "/V1/echo/prices/check"),
    }
    store_token = integration_token(fixed_services, "stores-only", ["Magento_Backend::store"])
    stores = fixed.get(
        SCHEMA_URLS["sync"], headers={"Authorization": f"Bearer {store_token}"}
    ).json()
    assert operations(stores) == {
        ("GET", "/V1/store/storeViews"),
        ("GET", "/V1/store/storeGroups"),
        ("GET", "/V1/store/websites"),
        ("GET", "/V1/store/storeConfigs"),
        ("GET", "/V1/echo/stores"),
        ("POST", "/V1/echo/prices/check"),
    }


def test_an_admin_sees_everything(fixed: TestClient, fixed_services: Services) -> None:
    headers = {"Authorization": f"Bearer {admin_token(fixed_services)}"}
    sync = fixed.get(SCHEMA_URLS["sync"], headers=headers).json()
    assert len(operations(sync)) == len(echo_routes.ROUTES) + len(stores_service.ROUTES)
    assert [tag["name"] for tag in sync["tags"]] == [
        "testsEchoItemRepositoryV1",
        "storeStoreRepositoryV1",
        "storeGroupRepositoryV1",
        "storeWebsiteRepositoryV1",
        "storeStoreConfigManagerV1",
    ]


def test_owner_access_routes_are_listed_for_any_authenticated_caller() -> None:
    route = Route(
        "GET",
        "/V1/mine/:id",
        "Magento\\Sales\\Api\\MineInterface",
        "get",
        ("Magento_Sales::mine",),
        lambda ctx, args: None,
        owner_access=True,
    )
    customer = UserContext(3, 7)
    seen = openapi.build_document([route], "sync", customer, base_path="/", host="h", scheme="http")
    assert operations(seen) == {("GET", "/V1/mine/{id}")}
    guest = openapi.build_document([route], "sync", GUEST, base_path="/", host="h", scheme="http")
    assert operations(guest) == set()


# --- async and bulk shapes -----------------------------------------------------------------------


def test_async_document_has_only_writes_each_answering_202(
    echo: TestClient, echo_auth: dict[str, str]
) -> None:
    document = echo.get(SCHEMA_URLS["async"], headers=echo_auth).json()
    assert document["basePath"] == "/rest/default/async"
    assert ("PUT", "/V1/echo/items/{sku}") in operations(document)
    assert ("POST", "/V1/echo/items") in operations(document)
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert method != "get", path
            successes = [code for code in operation["responses"] if code.startswith("2")]
            assert successes == ["202"], (method, path)
            assert operation["responses"]["202"] == ASYNC_RESPONSE
            assert operation["responses"]["default"] == {
                "description": "Unexpected error",
                "schema": ERROR,
            }
    definitions = document["definitions"]
    response = definitions["asynchronous-operations-data-async-response-interface"]
    assert response["required"] == ["bulk_uuid", "request_items", "errors"]
    assert response["properties"]["request_items"] == {
        "type": "array",
        "description": "List of request items.",
        "items": {"$ref": "#/definitions/asynchronous-operations-data-item-status-interface"},
    }
    item = definitions["asynchronous-operations-data-item-status-interface"]
    assert item["required"] == ["id", "data_hash", "status"]
    assert {name: spec.get("type") for name, spec in item["properties"].items()} == {
        "id": "integer",
        "data_hash": "string",
        "status": "string",
        "error_message": "string",
        "error_code": "integer",
        "extension_attributes": None,
    }


def test_bulk_document_describes_the_real_bulk_routes(
    echo: TestClient, echo_auth: dict[str, str]
) -> None:
    document = echo.get(SCHEMA_URLS["bulk"], headers=echo_auth).json()
    assert document["basePath"] == "/rest/default/async/bulk"
    echo_operations = {op for op in operations(document) if "/echo/" in op[1]}
    assert echo_operations == {
        ("POST", "/V1/echo/items"),
        ("PUT", "/V1/echo/items/bySku"),
        ("PUT", "/V1/echo/items"),
        ("DELETE", "/V1/echo/items/bySku"),
        ("POST", "/V1/echo/prices/check"),
    }
    assert not any("{" in path for path in document["paths"])
    put = document["paths"]["/V1/echo/items/bySku"]["put"]
    assert put["parameters"] == [
        {
            "name": "testsEchoItemRepositoryV1SavePutBody",
            "in": "body",
            "required": True,
            "schema": {
                "type": "array",
                "description": "One item per entity; each becomes one operation.",
                "items": {
                    "type": "object",
                    "properties": {
                        "item": {"$ref": "#/definitions/tests-echo-item"},
                        "saveOptions": {"type": "boolean"},
                        "sku": {
                            "type": "string",
                            "description": "Optional: the value the synchronous route takes "
                            "from its {sku} path segment.",
                        },
                    },
                    "description": "One entity of the bulk.",
                    "required": ["item"],
                },
            },
        }
    ]
    delete = document["paths"]["/V1/echo/items/bySku"]["delete"]
    assert delete["parameters"][0]["schema"]["items"] == {
        "type": "object",
        "properties": {"sku": {"type": "string"}},
        "description": "One entity of the bulk.",
        "required": ["sku"],
    }
    assert list(delete["responses"]) == ["202", "400", "401", "default"]


def test_bulk_document_bodies_are_what_the_bulk_endpoint_accepts(
    echo: TestClient, echo_auth: dict[str, str]
) -> None:
    """A body written from the document's item schema is accepted as it stands."""
    document = echo.get(SCHEMA_URLS["bulk"], headers=echo_auth).json()
    item_schema = document["paths"]["/V1/echo/items/bySku"]["put"]["parameters"][0]["schema"]
    assert item_schema["type"] == "array"
    body = [{"item": {"name": "One"}, "sku": "one"}, {"item": {"name": "Two"}, "sku": "two"}]
    response = echo.put(
        document["basePath"] + "/V1/echo/items/bySku",
        json=body,
        headers={**echo_auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 202
    assert [item["status"] for item in response.json()["request_items"]] == [
        "accepted",
        "accepted",
    ]


def test_sync_document_flattens_query_objects_php_style(fixed: TestClient) -> None:
    document = fixed.get(SCHEMA_URLS["sync"]).json()
    parameters = document["paths"]["/V1/echo/stores"]["get"]["parameters"]
    assert [(p["name"], p["type"]) for p in parameters] == [
        ("searchCriteria[filter_groups][0][filters][0][field]", "string"),
        ("searchCriteria[filter_groups][0][filters][0][value]", "string"),
        ("searchCriteria[filter_groups][0][filters][0][condition_type]", "string"),
        ("searchCriteria[sort_orders][0][field]", "string"),
        ("searchCriteria[sort_orders][0][direction]", "string"),
        ("searchCriteria[page_size]", "integer"),
        ("searchCriteria[current_page]", "integer"),
    ]
    assert all(p["in"] == "query" for p in parameters)


# --- request handling ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base_path"),
    [
        ("/rest/schema", "/rest"),
        ("/rest/async/schema", "/rest/async"),
        ("/rest/all/async/schema?services=all", "/rest/all/async"),
        ("/rest/default/async/bulk/schema", "/rest/default/async/bulk"),
        ("/index.php/rest/default/schema", "/index.php/rest/default"),
        ("/rest/default/async/schema/V1?services=all", "/rest/default/async"),
    ],
)
def test_base_path_is_the_url_up_to_schema(fixed: TestClient, url: str, base_path: str) -> None:
    response = fixed.get(url)
    assert response.status_code == 200
    assert response.json()["basePath"] == base_path


def test_services_parameter_selects_services(echo: TestClient, echo_auth: dict[str, str]) -> None:
    document = echo.get(
        "/rest/default/schema?services=storeWebsiteRepositoryV1,noSuchServiceV1",
        headers=echo_auth,
    ).json()
    assert operations(document) == {("GET", "/V1/store/websites")}
    assert document["tags"] == [
        {
            "name": "storeWebsiteRepositoryV1",
            "description": "Magento\\Store\\Api\\WebsiteRepositoryInterface",
        }
    ]


def test_a_malformed_services_parameter_is_refused(fixed: TestClient) -> None:
    response = fixed.get("/rest/default/schema?services=no-such;thing")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Incorrect format of request URI or Requested services are missing."
    }


def test_schema_requests_with_a_bad_token_see_the_anonymous_document(fixed: TestClient) -> None:
    """As for any route, an unknown token makes the caller a guest."""
    response = fixed.get(SCHEMA_URLS["sync"], headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 200
    assert operations(response.json()) == {
        ("GET", "/V1/echo/stores"),
        ("POST", "/V1/echo/prices/check"),
    }


# --- exact documents -----------------------------------------------------------------------------

THING = ObjectType(
    "catalog-data-thing-interface",
    {"sku": Field(STRING, required=True), "qty": Field(INT, description="Quantity")},
)
THING_ROUTE = Route(
    "PUT",
    "/V1/things/:sku",
    "Magento\\Catalog\\Api\\ThingRepositoryInterface",
    "save",
    ("Magento_Catalog::things",),
    lambda ctx, args: args["thing"],
    params=(Param("thing", THING), Param("saveOptions", BOOL, required=False)),
    returns=THING,
    summary="Save a thing",
)
THING_DEFINITION = {
    "type": "object",
    "properties": {
        "sku": {"type": "string"},
        "qty": {"type": "integer", "description": "Quantity"},
    },
    "required": ["sku"],
}
ERRORS_400_401 = {
    "400": {"description": "400 Bad Request", "schema": ERROR},
    "401": {"description": "401 Unauthorized", "schema": ERROR},
}
DEFAULT = {"default": {"description": "Unexpected error", "schema": ERROR}}
BODY = {
    "type": "object",
    "properties": {
        "thing": {"$ref": "#/definitions/catalog-data-thing-interface"},
        "saveOptions": {"type": "boolean"},
    },
    "required": ["thing"],
}
TAGS = [
    {
        "name": "catalogThingRepositoryV1",
        "description": "Magento\\Catalog\\Api\\ThingRepositoryInterface",
    }
]


def document_of(mode: str, base_path: str) -> dict[str, Any]:
    return openapi.build_document(
        [THING_ROUTE], mode, SYSTEM, base_path=base_path, host="shop.test:8443", scheme="https"
    )


def test_exact_sync_document() -> None:
    document = document_of("sync", "/rest/default")
    assert {key: value for key, value in document.items() if key != "definitions"} == {
        "swagger": "2.0",
        "info": {"version": "2.4", "title": "commerce-async"},
        "host": "shop.test:8443",
        "basePath": "/rest/default",
        "schemes": ["https"],
        "tags": TAGS,
        "paths": {
            "/V1/things/{sku}": {
                "put": {
                    "tags": ["catalogThingRepositoryV1"],
                    "description": "Save a thing",
                    "operationId": "catalogThingRepositoryV1SavePut",
                    "parameters": [
                        {"name": "sku", "in": "path", "required": True, "type": "string"},
                        {
                            "name": "catalogThingRepositoryV1SavePutBody",
                            "in": "body",
                            "schema": BODY,
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "200 Success.",
                            "schema": {"$ref": "#/definitions/catalog-data-thing-interface"},
                        },
                        **ERRORS_400_401,
                        "404": {"description": "404 Not Found", "schema": ERROR},
                        **DEFAULT,
                    },
                }
            }
        },
    }
    assert list(document["definitions"]) == [
        "error-response",
        "error-errors",
        "error-errors-item",
        "error-parameters",
        "error-parameters-item",
        "catalog-data-thing-interface",
    ]
    assert document["definitions"]["catalog-data-thing-interface"] == THING_DEFINITION
    assert document["definitions"]["error-response"] == {
        "type": "object",
        "properties": {
            "message": {"type": "string", "description": "Error message"},
            "errors": {"$ref": "#/definitions/error-errors"},
            "code": {"type": "integer", "description": "Error code"},
            "parameters": {"$ref": "#/definitions/error-parameters"},
            "trace": {"type": "string", "description": "Stack trace"},
        },
        "required": ["message"],
    }
    validate(document)


def test_exact_async_document() -> None:
    document = document_of("async", "/rest/all/async")
    assert document["basePath"] == "/rest/all/async"
    assert document["paths"] == {
        "/V1/things/{sku}": {
            "put": {
                "tags": ["catalogThingRepositoryV1"],
                "description": "Save a thing (asynchronous: queued as a bulk of one operation)",
                "operationId": "catalogThingRepositoryV1SavePut",
                "parameters": [
                    {"name": "sku", "in": "path", "required": True, "type": "string"},
                    {"name": "catalogThingRepositoryV1SavePutBody", "in": "body", "schema": BODY},
                ],
                "responses": {"202": ASYNC_RESPONSE, **ERRORS_400_401, **DEFAULT},
            }
        }
    }
    assert list(document["definitions"]) == [
        "error-response",
        "error-errors",
        "error-errors-item",
        "error-parameters",
        "error-parameters-item",
        "asynchronous-operations-data-async-response-interface",
        "asynchronous-operations-data-async-response-extension-interface",
        "asynchronous-operations-data-item-status-interface",
        "asynchronous-operations-data-item-status-extension-interface",
        "catalog-data-thing-interface",
    ]
    validate(document)


def test_exact_bulk_document() -> None:
    document = document_of("bulk", "/rest/all/async/bulk")
    assert document["paths"] == {
        "/V1/things/bySku": {
            "put": {
                "tags": ["catalogThingRepositoryV1"],
                "description": "Save a thing (bulk: one operation per array item)",
                "operationId": "catalogThingRepositoryV1SavePut",
                "parameters": [
                    {
                        "name": "catalogThingRepositoryV1SavePutBody",
                        "in": "body",
                        "required": True,
                        "schema": {
                            "type": "array",
                            "description": "One item per entity; each becomes one operation.",
                            "items": {
                                "type": "object",
                                "properties": {
                                    **BODY["properties"],
                                    "sku": {
                                        "type": "string",
                                        "description": "Optional: the value the synchronous "
                                        "route takes from its {sku} path segment.",
                                    },
                                },
                                "description": "One entity of the bulk.",
                                "required": ["thing"],
                            },
                        },
                    }
                ],
                "responses": {"202": ASYNC_RESPONSE, **ERRORS_400_401, **DEFAULT},
            }
        }
    }
    validate(document)


def test_service_names_follow_magento() -> None:
    def name(service: str, path: str = "/V1/x") -> str:
        return openapi.service_name(Route("GET", path, service, "get", (), lambda c, a: None))

    assert name("Magento\\Catalog\\Api\\ProductRepositoryInterface") == "catalogProductRepositoryV1"
    assert name("Magento\\Customer\\Api\\CustomerRepositoryInterface") == (
        "customerCustomerRepositoryV1"
    )
    assert name("Magento\\AsynchronousOperations\\Api\\BulkStatusInterface") == (
        "asynchronousOperationsBulkStatusV1"
    )
    assert name("Magento\\Store\\Api\\StoreRepositoryInterface", "/V2/y") == (
        "storeStoreRepositoryV2"
    )
    assert name("Vendor\\Module\\Api\\ModuleInterface") == "vendorModuleV1"


def test_repeated_operation_ids_are_made_unique() -> None:
    first = Route(
        "GET",
        "/V1/customers/me",
        "Magento\\Customer\\Api\\CustomerRepositoryInterface",
        "getById",
        ("anonymous",),
        lambda c, a: None,
    )
    second = Route(
        "GET",
        "/V1/customers/:customerId",
        "Magento\\Customer\\Api\\CustomerRepositoryInterface",
        "getById",
        ("Magento_Customer::customer",),
        lambda c, a: None,
    )
    document = openapi.build_document(
        [first, second], "sync", SYSTEM, base_path="/rest", host="h", scheme="http"
    )
    assert [
        document["paths"][path]["get"]["operationId"]
        for path in ("/V1/customers/me", "/V1/customers/{customerId}")
    ] == ["customerCustomerRepositoryV1GetByIdGet", "customerCustomerRepositoryV1GetByIdGet2"]
    validate(document)


# --- caching -------------------------------------------------------------------------------------


def test_sync_and_async_documents_are_never_served_for_each_other(
    echo: TestClient, echo_auth: dict[str, str]
) -> None:
    """Magento's schema cache key forgets the mode: with the same ``services=`` list a sync
    document can come back for an async request. Here each mode gets its own."""
    query = "?services=testsEchoItemRepositoryV1"
    first_sync = echo.get("/rest/default/schema" + query, headers=echo_auth).json()
    asynchronous = echo.get("/rest/default/async/schema" + query, headers=echo_auth).json()
    second_sync = echo.get("/rest/default/schema" + query, headers=echo_auth).json()
    assert ("GET", "/V1/echo/items/{sku}") in operations(first_sync)
    assert all(method != "GET" for method, _ in operations(asynchronous))
    assert asynchronous["basePath"] == "/rest/default/async"
    assert second_sync == first_sync


def test_documents_are_cached_per_caller_and_request() -> None:
    handler = openapi.schema_handler(echo_routes.ROUTES)
    scope = {"path": "/rest/default/schema", "headers": [(b"host", b"shop.test")]}
    admin = handler(scope, None, "sync", SYSTEM, "services=all")
    assert handler(scope, None, "sync", SYSTEM, "") is admin
    guest = handler(scope, None, "sync", GUEST, "")
    assert guest is not admin
    assert operations(guest) == {("GET", "/V1/echo/stores"), ("POST", "/V1/echo/prices/check")}
    other_host = handler({**scope, "headers": [(b"host", b"other.test")]}, None, "sync", SYSTEM, "")
    assert other_host["host"] == "other.test"
    assert handler(scope, None, "async", SYSTEM, "") is not admin
