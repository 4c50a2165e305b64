"""``/swagger``: Swagger UI served entirely from this process."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient
from swagger_ui_bundle import swagger_ui_path

BUNDLE = Path(str(swagger_ui_path))


def local_references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_page_is_html_with_a_selector_and_a_token_field(client: TestClient) -> None:
    response = client.get("/swagger")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert '<select id="schema-type" name="type">' in html
    assert re.findall(r'<option value="(\w+)">', html) == ["sync", "async", "bulk"]
    assert '<input id="schema-token" type="password"' in html
    assert '<input id="schema-store" name="store" value="all"' in html


def test_nothing_is_loaded_from_elsewhere(client: TestClient) -> None:
    response = client.get("/swagger")
    html = response.text
    assert "http://" not in html and "https://" not in html and '"//' not in html
    references = local_references(html)
    assert references == [
        "/swagger/assets/swagger-ui.css",
        "/swagger/assets/swagger-page.css",
        "/swagger/assets/favicon-32x32.png",
        "/swagger/assets/swagger-ui-bundle.js",
        "/swagger/assets/swagger-page.js",
    ]
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    page_script = client.get("/swagger/assets/swagger-page.js").text
    assert "http://" not in page_script and "https://" not in page_script
    assert "validatorUrl: null" in page_script  # Swagger UI would call validator.swagger.io


def test_every_referenced_asset_is_served_from_the_bundle(client: TestClient) -> None:
    for reference in local_references(client.get("/swagger").text):
        response = client.get(reference)
        assert response.status_code == 200, reference
    bundle = client.get("/swagger/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert bundle.content == (BUNDLE / "swagger-ui-bundle.js").read_bytes()
    css = client.get("/swagger/assets/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")
    assert css.content == (BUNDLE / "swagger-ui.css").read_bytes()


def test_only_the_listed_assets_are_served(client: TestClient) -> None:
    for name in ("index.html", "swagger-initializer.js", "..%2F..%2Fswagger.py", "nothing.js"):
        assert client.get(f"/swagger/assets/{name}").status_code == 404, name


def test_the_page_script_loads_the_three_documents(client: TestClient) -> None:
    script = client.get("/swagger/assets/swagger-page.js").text
    assert 'sync: "schema", async: "async/schema", bulk: "async/bulk/schema"' in script
    assert '"/rest/" + encodeURIComponent(store) + "/" + SCHEMA_PATHS[type] + "?services=all"' in (
        script
    )
    assert 'request.headers.Authorization = "Bearer " + token;' in script


def test_the_root_redirects_to_swagger(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/swagger"
