from starlette.testclient import TestClient


def test_store_views_need_a_token(client: TestClient) -> None:
    response = client.get("/rest/V1/store/storeViews")
    assert response.status_code == 401
    assert response.json() == {
        "message": "The consumer isn't authorized to access %resources.",
        "parameters": {"resources": "Magento_Backend::store"},
    }


def test_store_views(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/rest/V1/store/storeViews", headers=auth)
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": 0,
            "code": "admin",
            "name": "Admin",
            "website_id": 0,
            "store_group_id": 0,
            "is_active": True,
        },
        {
            "id": 1,
            "code": "default",
            "name": "Default Store View",
            "website_id": 1,
            "store_group_id": 1,
            "is_active": True,
        },
    ]
