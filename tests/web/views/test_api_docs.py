"""/api/docs: the OpenAPI document in the vendored viewer, under its own CSP, linked from settings → API keys."""

from __future__ import annotations

from pathlib import Path

from webapp.web.security import CSP

STATIC = Path(__file__).resolve().parents[3] / "static"


def test_the_page_loads_the_vendored_viewer_and_the_document_without_sign_in(client):
    response = client.get("/api/docs")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        "/static/vendor/swagger-ui-5.36.0/swagger-ui-bundle.js" in html
        and 'data-spec-url="/api/v1/openapi.json"' in html
    )
    assert "http://" not in html and "https://" not in html  # no CDN
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "README.md"):
        assert (STATIC / "vendor" / "swagger-ui-5.36.0" / name).is_file()


def test_the_docs_page_keeps_the_site_s_strict_csp(client):
    docs = client.get("/api/docs").headers["Content-Security-Policy"]

    assert docs == CSP and "unsafe-inline" not in docs and "unsafe-eval" not in docs
    assert "script-src 'self';" in docs and "style-src 'self';" in docs and "frame-ancestors 'none'" in docs


def test_settings_link_to_the_reference_beside_the_api_keys(client, auth):
    auth.sign_up()

    assert 'href="/api/docs"' in client.get("/settings/").get_data(as_text=True)
