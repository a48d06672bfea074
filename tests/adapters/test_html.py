from html.parser import HTMLParser

import pytest

from webapp.adapters import html as herald_html
from webapp.adapters.html import markdown_to_html, preview_html, sanitize, to_html, to_text
from webapp.adapters.keys import marker_for
from webapp.adapters.plaintext import html_to_text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_in(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(markup)
    return parser.tags


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert`1`)",
        "[x](JavaScript:void)",
        "![x](javascript:alert(1))",
        '[x](https://e.org/"onmouseover="alert`1`)',
        '[x](" onmouseover="alert(1))',
    ],
)
def test_markdown_cannot_smuggle_markup_or_script_links(markdown):
    for tag, attrs in tags_in(markdown_to_html("text " + markdown)):
        assert tag in ("p", "a", "code"), tag
        assert set(attrs) <= {"href"}
        assert not (attrs.get("href") or "").lower().startswith("javascript")


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<p onclick=alert(1) onmouseover='alert(2)'>x</p>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>x</a>",
        "<a href=' JaVaScRiPt:alert(1)'>x</a>",
        "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
        "<iframe src='https://evil.example'></iframe>",
        "<svg onload=alert(1)><circle/></svg>",
        "<style>body{display:none}</style><p style='position:fixed'>x</p>",
        "<form action='https://evil.example'><input name=a></form>",
    ],
)
def test_sanitize_leaves_no_script_event_handler_or_script_url(hostile):
    for tag, attrs in tags_in(sanitize(hostile)):
        assert tag not in ("script", "iframe", "svg", "style", "form", "input"), tag
        assert not any(name.startswith("on") for name in attrs), attrs
        assert "style" not in attrs
        assert not (attrs.get("href") or "").strip().lower().startswith(("javascript", "data")), attrs


def test_the_preview_of_an_html_body_keeps_its_markup_and_drops_its_script():
    assert preview_html("Hello <b>world</b><script>alert(1)</script>", "html") == "Hello <b>world</b>"


def test_the_preview_shows_a_table_s_alignment_by_class_never_by_inline_style():
    table = "| Plan | Price |\n|:-----|------:|\n| Free | 0 |"

    cells = [(tag, attrs) for tag, attrs in tags_in(preview_html(table)) if tag in ("th", "td")]

    assert cells == [(tag, {"class": f"align-{side}"}) for tag in ("th", "td") for side in ("left", "right")]


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('<td style="text-align: center; color: red">x</td>', '<td class="align-center">x</td>'),
        ('<td style="color: red">x</td>', "<td>x</td>"),
        ("<td title='a style=\"b\" c'>x</td>", '<td title="a style=&quot;b&quot; c">x</td>'),
    ],
)
def test_an_html_body_s_cell_keeps_its_alignment_as_a_class_and_no_style(cell, shown):
    assert sanitize(f"<table><tr>{cell}</tr></table>") == f"<table><tbody><tr>{shown}</tr></tbody></table>"


def test_html_bodies_pass_through_and_markdown_is_converted_as_the_format_says():
    assert to_html("Hello <b>world</b>", "html") == "Hello <b>world</b>"
    assert to_html("Hello <b>world</b>", "markdown") == "<p>Hello &lt;b&gt;world&lt;/b&gt;</p>\n"
    assert to_html("<p>Hi *there*</p>") == "<p>&lt;p&gt;Hi <em>there</em>&lt;/p&gt;</p>\n"  # markdown by default


def test_markdown_text_keeps_the_authors_single_line_breaks():
    assert to_text("First line\nsecond line\n\nNew paragraph") == "First line\nsecond line\n\nNew paragraph"


def test_html_becomes_plain_text_with_paragraphs_entities_and_links():
    markup = "<h1>Title</h1><p>a &amp; b<br>c <a href='https://e.org'>see</a></p><ul><li>x</li><li>y</li></ul>"
    assert to_text(markup, "html") == "Title\n\na & b\nc see (https://e.org)\n\n- x\n- y"


def test_a_mastodon_status_read_back_as_text_keeps_link_text_only():
    status = (
        '<p>Read <a href="https://e.org/a"><span class="invisible">https://</span><span>e.org/a</span></a> '
        '<a href="https://m.example/tags/news" class="mention hashtag">#<span>news</span></a></p>'
    )
    assert html_to_text(status, keep_links=False) == "Read https://e.org/a #news"
    assert html_to_text(status) == "Read https://e.org/a #news (https://m.example/tags/news)"


def test_slug_is_stable_lowercase_and_depends_only_on_the_key():
    slug = marker_for("hrd-0123456789abcdef")

    assert slug == marker_for("hrd-0123456789abcdef") != marker_for("hrd-0123456789abcdeF")
    assert slug.startswith("herald-") and len(slug) == 27 and slug == slug.lower()


@pytest.mark.parametrize("breaks", [False, True])
def test_the_shared_parser_is_handed_out_with_every_rule_list_compiled(breaks):
    # The worker's slots share it: a list compiled lazily by one thread was seen empty by another, which then
    # raised "none of the block rules matched". Compiled before it is shared, it is only ever read.
    herald_html._parser.cache_clear()
    md = herald_html._parser(breaks)

    for ruler in (md.core.ruler, md.block.ruler, md.inline.ruler, md.inline.ruler2):
        assert ruler.__cache__  # markdown-it's compiled rules, by chain
