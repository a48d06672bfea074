"""Content bodies as each platform takes them: HTML through a CommonMark parser, plain text, and sanitised HTML.

A body is Markdown or HTML, as its `body_format` says (the content's; variants take the content's):
nothing is guessed from how the text looks.

- Markdown is parsed by markdown-it-py's "commonmark" preset with the `table` and `strikethrough`
  rules. Raw HTML inside Markdown is escaped (shown as the text it is): an author who wants markup
  picks the HTML format. Links and images with a scheme that can run code (javascript:, vbscript:,
  file:, most data:) are left as text by the parser.
- HTML is sent to blog platforms as written (each sanitises by its own rules, e.g. WordPress's kses);
  wherever Herald itself shows a body, it goes through `sanitize` (nh3) first. Herald's pages allow no
  inline style (their CSP), so a table cell's alignment is shown there by a class, `align-<side>`.
- Plain text (Mastodon, the webhook's `text`) is read from the HTML by `plaintext.html_to_text`:
  links keep their address as "text (url)", images become "alt (url)", lists keep their markers.
"""

import re
from functools import cache, lru_cache

import nh3
from markdown_it import MarkdownIt

from .plaintext import html_to_text

MARKDOWN, HTML = "markdown", "html"
BODY_FORMATS = (MARKDOWN, HTML)
# What a preview may show: nh3's defaults (no script, no style, no on* attributes, no javascript: URLs)
# plus a table cell's alignment, the one style the Markdown tables write (kept as a class: `_style_as_class`).
_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {*nh3.ALLOWED_ATTRIBUTES["th"], "style"},
    "td": {*nh3.ALLOWED_ATTRIBUTES["td"], "style"},
}


@cache
def _parser(breaks: bool) -> MarkdownIt:
    """One parser per process, shared by the worker's slots (threads): handed out with its rule lists compiled.

    markdown-it compiles each rule list on first use by emptying a dict and filling it, so a second thread parsing
    at that moment found no block rule and raised ("none of the block rules matched": seen as a publication's
    unexpected error when six slots rendered their first bodies at once). Compiled here, they are only read after.
    """
    md = MarkdownIt("commonmark", {"html": False, "breaks": breaks}).enable(["table", "strikethrough"])
    for ruler in (md.core.ruler, md.block.ruler, md.inline.ruler, md.inline.ruler2):  # every list a parse reads
        ruler.getRules("")
    return md


# A worker renders the same body again and again (one content to many channels, a recurring schedule's every
# run, a retry): rendering is a pure function of the text, so the latest few are kept (strings are immutable).
RENDERED_KEPT = 32


@lru_cache(maxsize=RENDERED_KEPT)
def markdown_to_html(text: str) -> str:
    """Render Markdown as CommonMark HTML with tables and strikethrough; raw HTML in it is escaped."""
    return _parser(False).render(text)


def to_html(body: str, body_format: str = MARKDOWN) -> str:
    """Return the body as HTML: an HTML body as written, a Markdown body rendered."""
    return body if body_format == HTML else markdown_to_html(body)


@lru_cache(maxsize=RENDERED_KEPT)
def to_text(body: str, body_format: str = MARKDOWN) -> str:
    """Return the body as plain text with links kept as "text (url)".

    A Markdown body's single line breaks are kept (social posts are written line by line); an HTML
    body's line breaks are HTML's (`<br>`, blocks).
    """
    markup = body if body_format == HTML else _parser(True).render(body)
    return html_to_text(markup)


_STYLE = re.compile(r' style="([^"]*)"')  # as nh3 writes an attribute: any quote inside is &quot;
_ALIGN = re.compile(r"text-align:\s*(left|center|right|justify)", re.IGNORECASE)


def sanitize(markup: str) -> str:
    """Return HTML safe to show inside Herald's pages: no script, event handlers, javascript: links or inline style."""
    clean = nh3.clean(
        markup,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer nofollow",
    )
    return _STYLE.sub(_style_as_class, clean)


def _style_as_class(style: re.Match) -> str:
    # The pages' CSP refuses every style attribute (a console error each): the alignment becomes a class, and a
    # style with nothing nh3 kept goes.
    align = _ALIGN.search(style[1])
    return f' class="align-{align[1].lower()}"' if align else ""


def preview_html(body: str, body_format: str = MARKDOWN) -> str:
    """Return the body as a blog platform receives it, sanitised for showing in Herald."""
    return sanitize(to_html(body, body_format))
