"""Bodies on the real WordPress: an HTML body is published as HTML, a Markdown table as a table."""

import uuid

import pytest

from webapp.adapters.keys import marker_for
from webapp.adapters.wordpress import WordPressAdapter, marker_comment

from .factories import content, publish_request
from .wordpress_site import WordPressSite, wordpress_fixture, wordpress_session  # noqa: F401


def published(site: WordPressSite, body: str, body_format: str) -> tuple[str, dict]:
    key = f"wp-bodies-{uuid.uuid4().hex[:10]}"
    request = publish_request(
        idempotency_key=key, content=content(title=f"Bodies {key}", body=body, body_format=body_format, tags=())
    )
    credentials = {"username": site.user, "app_password": site.app_password}
    result = WordPressAdapter({"url": site.url}, credentials, timeout=30).publish(request)
    site.track_post(result.external_id)
    return key, site.rest("GET", f"/wp/v2/posts/{result.external_id}", params={"context": "edit"})


@pytest.mark.integration
def test_an_html_body_that_starts_with_text_is_published_as_html_not_escaped(wordpress):
    key, post = published(wordpress, 'Hello <b>world</b>, see <a href="https://e.org/">this</a>', "html")

    raw = f'Hello <b>world</b>, see <a href="https://e.org/">this</a>\n{marker_comment(marker_for(key))}'
    assert post["content"]["raw"] == raw
    assert "Hello <b>world</b>" in post["content"]["rendered"]
    assert '<a href="https://e.org/">this</a>' in post["content"]["rendered"]
    assert "&lt;b&gt;" not in post["content"]["rendered"]


@pytest.mark.integration
def test_a_markdown_body_with_a_table_is_published_as_a_table(wordpress):
    _, post = published(wordpress, "Prices:\n\n| Plan | Price |\n|------|------:|\n| Team | 9 |", "markdown")

    rendered = post["content"]["rendered"]
    assert "<p>Prices:</p>" in rendered
    assert "<table>" in rendered and "<th>Plan</th>" in rendered and "<td>Team</td>" in rendered
    assert "| Plan |" not in rendered
