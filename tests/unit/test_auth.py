"""API keys: open by default; with keys, 401 problem+json without one, and a sign-in page."""
import re

import pytest
import requests

from helpers import ECHO, IRIS, IRIS_ROW
from model_service.ops.auth import add_security_schemes, parse_keys

KEYS = "first-key, second-key"


@pytest.fixture
def keyed_app(make_app):
    return make_app([IRIS, ECHO], API_KEYS=KEYS)


@pytest.fixture
def keyed(keyed_app):
    return keyed_app.test_client()


def test_parse_keys_drops_blanks_and_spaces():
    assert parse_keys(" a, ,b ,") == ("a", "b")
    assert parse_keys("") == () and parse_keys(None) == ()
    assert parse_keys(["x", ""]) == ("x",)


def test_without_keys_everything_stays_open(client):
    assert client.post("/api/models/iris_model/predict", json=IRIS_ROW).status_code == 200
    assert client.get("/api/models").status_code == 200


def test_with_keys_a_request_without_a_key_gets_401_problem_json(keyed):
    response = keyed.post("/api/models/iris_model/predict", json=IRIS_ROW,
                          headers={"X-Request-ID": "no-key"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401 and "API key" in response.json["detail"]
    assert response.json["request_id"] == "no-key"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_with_keys_a_wrong_key_gets_401(keyed):
    for headers in ({"Authorization": "Bearer nope"}, {"X-API-Key": "first-key-but-longer"},
                    {"Authorization": "Basic Zmlyc3Qta2V5"}):
        response = keyed.get("/api/models", headers=headers)
        assert response.status_code == 401, headers
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer first-key"},
    {"Authorization": "bearer second-key"},
    {"X-API-Key": "second-key"},
])
def test_with_keys_a_valid_key_works(keyed, headers):
    response = keyed.post("/api/models/iris_model/predict", json=IRIS_ROW, headers=headers)
    assert response.status_code == 200
    assert response.json["species"] == "setosa"


def test_probes_and_metrics_stay_open_with_keys(keyed):
    for path in ("/healthz", "/readyz", "/metrics"):
        assert keyed.get(path).status_code == 200, path


def test_static_files_stay_open_with_keys(keyed):
    with keyed.get("/static/css/site.css") as response:
        assert response.status_code == 200


def test_the_sign_in_page_uses_the_site_layout_and_says_when_no_key_is_needed(client):
    page = client.get("/signin").get_data(as_text=True)
    assert "navbar" in page and "no API key is needed" in page
    assert "Sign out" not in client.get("/").get_data(as_text=True)


def test_a_page_without_a_key_redirects_to_the_sign_in_form(keyed):
    response = keyed.get("/models/iris_model/metadata?tab=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_signing_in_once_keeps_the_key_in_the_session_but_not_the_key_itself(keyed):
    page = keyed.get("/signin?next=/api/models")
    assert page.status_code == 200 and "API key" in page.get_data(as_text=True)
    response = keyed.post("/signin?next=/api/models", data={
        "csrf_token": _csrf(page.get_data(as_text=True)), "api_key": "second-key"})
    assert response.status_code == 302 and response.headers["Location"] == "/api/models"
    cookie = keyed.get_cookie("session")
    assert cookie is not None and "second-key" not in cookie.value
    assert keyed.get("/api/models").status_code == 200
    assert "Sign out" in keyed.get("/").get_data(as_text=True)
    keyed.post("/signout")
    assert keyed.get("/api/models").status_code == 401


def test_signing_in_with_a_wrong_key_shows_the_form_again_with_an_error(keyed):
    page = keyed.get("/signin").get_data(as_text=True)
    response = keyed.post("/signin", data={"csrf_token": _csrf(page), "api_key": "guess"})
    assert response.status_code == 401
    assert "not valid" in response.get_data(as_text=True)
    assert keyed.get("/api/models").status_code == 401


def test_odd_sign_in_requests_get_a_page_never_a_500(keyed):
    assert keyed.get("/signin?next=http://[broken").status_code == 200
    assert keyed.post("/signin", data={"api_key": "x" * 100_000}).status_code == 400
    assert keyed.get("/api/models", headers={"X-API-Key": "é" * 5000}).status_code == 401
    assert keyed.get("/api/models", headers={"Authorization": "Bearer"}).status_code == 401


def test_signing_in_without_the_form_token_is_refused(keyed):
    response = keyed.post("/signin", data={"api_key": "first-key"})
    assert response.status_code == 400
    assert keyed.get("/api/models").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil",
                                    "http://[broken", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(keyed, target):
    page = keyed.get("/signin").get_data(as_text=True)
    response = keyed.post("/signin", query_string={"next": target},
                          data={"csrf_token": _csrf(page), "api_key": "first-key"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_keys_are_enforced_over_real_http(keyed_app, serve):
    url = serve(keyed_app)
    assert requests.get(url + "/api/models", timeout=5).status_code == 401
    response = requests.get(url + "/api/models", headers={"Authorization": "Bearer first-key"},
                            timeout=5)
    assert response.status_code == 200
    assert requests.get(url + "/readyz", timeout=5).status_code == 200


def test_the_openapi_document_declares_the_key_schemes_when_keys_are_set(keyed_app, app):
    document = {"openapi": "3.1.0", "paths": {
        "/api/models": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
    }}
    add_security_schemes(document, keyed_app)
    add_security_schemes(document, keyed_app)  # idempotent
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer",
                                     "description": schemes["bearerAuth"]["description"]}
    assert schemes["apiKeyHeader"]["name"] == "X-API-Key"
    assert document["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}]
    assert document["paths"]["/healthz"]["get"]["security"] == []
    assert "401" in document["paths"]["/api/models"]["get"]["responses"]
    untouched = {"openapi": "3.1.0", "paths": {}}
    assert add_security_schemes(dict(untouched), app) == untouched
