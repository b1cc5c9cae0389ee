import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_route_is_a_json_404(api):
    r = api.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "detail": "Not found."}}


def test_an_unknown_page_is_an_html_404(client):
    r = client.get("/no-such-page/")
    assert r.status_code == 404
    assert b"There is nothing at this address" in r.content


def test_a_wrong_method_is_a_json_405(patient_api):
    r = patient_api.delete("/api/v1/users/me")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_the_openapi_schema_and_docs_are_served(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/auth/signup", "/api/v1/auth/token", "/api/v1/users/me", "/api/v1/health"} <= set(paths)
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_an_unexpected_exception_becomes_a_json_500_without_its_message():
    from meditrack.errors import api_exception_handler

    response = api_exception_handler(RuntimeError("patient Jane has HIV"), {"view": None})
    assert response.status_code == 500
    assert response.data == {"error": {"code": "server_error", "detail": "Something went wrong on our side."}}
    assert "Jane" not in str(response.data)
