from html.parser import HTMLParser

import pytest

from webapp.adapters.html import looks_like_html, markdown_to_html, to_html, to_text
from webapp.adapters.keys import marker_for


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("Hello world", "<p>Hello world</p>"),
        ("one\ntwo\n\nthree", "<p>one\ntwo</p>\n<p>three</p>"),
        ("## Title ##", "<h2>Title</h2>"),
        (
            "**bold**, *em*, _em_ and snake_case_name",
            "<p><strong>bold</strong>, <em>em</em>, <em>em</em> and snake_case_name</p>",
        ),
        ("- a\n- b\n\n1. c\n2. d", "<ul><li>a</li><li>b</li></ul>\n<ol><li>c</li><li>d</li></ol>"),
        ("> quoted\n> on", "<blockquote><p>quoted\non</p></blockquote>"),
        ("```\n<b>code</b>\n```", "<pre><code>&lt;b&gt;code&lt;/b&gt;</code></pre>"),
        ("use `<br>` here", "<p>use <code>&lt;br&gt;</code> here</p>"),
        ("---", "<hr>"),
        ("[site](https://e.org/a_b_c?x=1&y=2)", '<p><a href="https://e.org/a_b_c?x=1&amp;y=2">site</a></p>'),
    ],
)
def test_markdown_becomes_html(markdown, expected):
    assert markdown_to_html(markdown) == expected


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert`1`)",
        "[x](JavaScript:void)",
        '[x](https://e.org/"onmouseover="alert`1`)',
        '[x](" onmouseover="alert(1))',
    ],
)
def test_markdown_cannot_smuggle_markup_or_script_links(markdown):
    parser = _Tags()
    parser.feed(markdown_to_html("text " + markdown))

    for tag, attrs in parser.tags:
        assert tag in ("p", "a", "code"), tag
        assert set(attrs) <= {"href"}
        assert not (attrs.get("href") or "").lower().startswith("javascript")


def test_html_bodies_pass_through_and_markdown_is_converted():
    assert looks_like_html("  <p>Hi</p>") and not looks_like_html("Hi <b>there</b>")
    assert to_html("<p>Hi <em>there</em></p>") == "<p>Hi <em>there</em></p>"
    assert to_html("Hi *there*") == "<p>Hi <em>there</em></p>"


def test_html_becomes_plain_text_with_paragraphs_and_entities():
    assert to_text("<h1>Title</h1><p>a &amp; b<br>c</p><ul><li>x</li><li>y</li></ul>") == "Title\n\na & b\nc\n\nx\ny"
    assert to_text("  **markdown** stays as written ") == "**markdown** stays as written"


def test_slug_is_stable_lowercase_and_depends_only_on_the_key():
    slug = marker_for("hrd-0123456789abcdef")

    assert slug == marker_for("hrd-0123456789abcdef") != marker_for("hrd-0123456789abcdeF")
    assert slug.startswith("herald-") and len(slug) == 27 and slug == slug.lower()
