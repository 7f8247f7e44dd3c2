"""The interactive docs page: Swagger UI from our own origin, under the strict CSP."""
from __future__ import annotations

import re

from model_service.ops.security import CONTENT_SECURITY_POLICY


def test_docs_page_renders_swagger_ui_pointing_at_the_document(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'id="swagger-ui"' in html
    assert 'data-spec-url="/api/openapi.json"' in html


def test_docs_page_keeps_the_content_security_policy_and_has_no_inline_code(client):
    response = client.get("/api/docs")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    for attributes, body in scripts:
        assert 'src="/' in attributes and not body.strip()
    assert "<style" not in html and " style=" not in html
    assert "http://" not in html and "https://" not in html  # nothing from another origin


def test_every_asset_the_docs_page_names_is_served_locally(client):
    html = client.get("/api/docs").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert len(urls) >= 5
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_swagger_ui_assets_have_their_media_types(client):
    script = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and script.mimetype in ("text/javascript",
                                                              "application/javascript")
    script.close()
    style = client.get("/api/docs/assets/swagger-ui.css")
    assert style.status_code == 200 and style.mimetype == "text/css"
    style.close()


def test_a_missing_asset_is_a_problem_json_404(client):
    response = client.get("/api/docs/assets/nope.js")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_the_site_navbar_links_to_the_api_docs_and_back(client):
    catalog = client.get("/").get_data(as_text=True)
    assert 'href="/api/docs">API docs</a>' in catalog
    docs = client.get("/api/docs").get_data(as_text=True)
    assert 'class="brand" href="/">Model Service</a>' in docs
