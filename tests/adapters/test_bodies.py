"""What each platform receives for each common body construct: HTML for blogs, text for Mastodon, both for webhooks.

The HTML is CommonMark's (with GFM tables and strikethrough); the text keeps every link's address.
Each case is published through the real adapter to a local fake of its platform, and the request read back.
"""

from dataclasses import dataclass

import pytest

from webapp.adapters.ghost import GhostAdapter
from webapp.adapters.html import to_html, to_text
from webapp.adapters.keys import marker_for
from webapp.adapters.mastodon import MastodonAdapter
from webapp.adapters.shopify import ShopifyAdapter
from webapp.adapters.wordpress import WordPressAdapter, marker_comment

from .factories import content, publish_request, webhook
from .fakes.ghost import ghost_fixture  # noqa: F401
from .fakes.mastodon import mastodon_fixture  # noqa: F401
from .fakes.shopify import shopify_fixture  # noqa: F401
from .fakes.wordpress import fake_wordpress_fixture  # noqa: F401
from .receiver import receiver_fixture  # noqa: F401


@dataclass(frozen=True)
class Case:
    name: str
    body: str
    html: str  # what WordPress, Ghost and Shopify receive, and the webhook's "html"
    text: str  # what Mastodon receives, and the webhook's "text"
    body_format: str = "markdown"


TABLE = """| Plan | Price |
|:-----|------:|
| Free | 0 |
| Team | 9 |"""
TABLE_HTML = (
    '<table>\n<thead>\n<tr>\n<th style="text-align:left">Plan</th>\n<th style="text-align:right">Price</th>\n'
    '</tr>\n</thead>\n<tbody>\n<tr>\n<td style="text-align:left">Free</td>\n<td style="text-align:right">0</td>\n'
    '</tr>\n<tr>\n<td style="text-align:left">Team</td>\n<td style="text-align:right">9</td>\n</tr>\n</tbody>\n'
    "</table>\n"
)

CASES = [
    Case("headings", "# Launch\n\n## Details", "<h1>Launch</h1>\n<h2>Details</h2>\n", "Launch\n\nDetails"),
    Case("paragraphs", "One\ntwo\n\nThree", "<p>One\ntwo</p>\n<p>Three</p>\n", "One\ntwo\n\nThree"),
    Case(
        "emphasis and strong",
        "*em* _em_ **strong** __strong__ snake_case_name",
        "<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong> snake_case_name</p>\n",
        "em em strong strong snake_case_name",
    ),
    Case("strikethrough", "Was ~~9~~ now 5", "<p>Was <s>9</s> now 5</p>\n", "Was 9 now 5"),
    Case("inline code", "Use `a < b` here", "<p>Use <code>a &lt; b</code> here</p>\n", "Use a < b here"),
    Case(
        "fenced code block",
        "```python\nif a < b:\n    pass\n```",
        '<pre><code class="language-python">if a &lt; b:\n    pass\n</code></pre>\n',
        "if a < b:\n    pass",
    ),
    Case("indented code block", "    x = 1\n    y = 2", "<pre><code>x = 1\ny = 2\n</code></pre>\n", "x = 1\ny = 2"),
    Case(
        "link",
        "See [Herald](https://e.org/a_b?x=1&y=2) now",
        '<p>See <a href="https://e.org/a_b?x=1&amp;y=2">Herald</a> now</p>\n',
        "See Herald (https://e.org/a_b?x=1&y=2) now",
    ),
    Case(
        "link with a title",
        '[Herald](https://e.org "The site")',
        '<p><a href="https://e.org" title="The site">Herald</a></p>\n',
        "Herald (https://e.org)",
    ),
    Case(
        "autolinks",
        "<https://e.org/x> or <hi@e.org>",
        '<p><a href="https://e.org/x">https://e.org/x</a> or <a href="mailto:hi@e.org">hi@e.org</a></p>\n',
        "https://e.org/x or hi@e.org",
    ),
    Case(
        "image",
        '![A cat](https://e.org/cat.png "Cat")',
        '<p><img src="https://e.org/cat.png" alt="A cat" title="Cat" /></p>\n',
        "A cat (https://e.org/cat.png)",
    ),
    Case("bullet list", "- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n", "- one\n- two"),
    Case(
        "ordered list",
        "3. three\n4. four",
        '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n',
        "3. three\n4. four",
    ),
    Case(
        "nested lists",
        "- fruit\n  1. apple\n  2. pear\n- veg",
        "<ul>\n<li>fruit\n<ol>\n<li>apple</li>\n<li>pear</li>\n</ol>\n</li>\n<li>veg</li>\n</ul>\n",
        "- fruit\n   1. apple\n   2. pear\n- veg",
    ),
    Case(
        "blockquote",
        "> Quoted\n> on\n>\n> and on",
        "<blockquote>\n<p>Quoted\non</p>\n<p>and on</p>\n</blockquote>\n",
        "> Quoted\n> on\n>\n> and on",
    ),
    Case("hard break (two spaces)", "Roses  \nViolets", "<p>Roses<br />\nViolets</p>\n", "Roses\nViolets"),
    Case("hard break (backslash)", "Roses\\\nViolets", "<p>Roses<br />\nViolets</p>\n", "Roses\nViolets"),
    Case(
        "backslash escapes",
        "\\*not em\\* \\# \\[not a link\\](x)",
        "<p>*not em* # [not a link](x)</p>\n",
        "*not em* # [not a link](x)",
    ),
    Case("HTML entities", "&copy; 2027 &amp; &#35;1 &lt;3", "<p>© 2027 &amp; #1 &lt;3</p>\n", "© 2027 & #1 <3"),
    Case("horizontal rule", "Above\n\n---\n\nBelow", "<p>Above</p>\n<hr />\n<p>Below</p>\n", "Above\n\n---\n\nBelow"),
    Case("table", TABLE, TABLE_HTML, "Plan | Price\nFree | 0\nTeam | 9"),
    Case(
        "raw HTML inside Markdown is text",
        "Hi <b>there</b><script>alert(1)</script>",
        "<p>Hi &lt;b&gt;there&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>\n",
        "Hi <b>there</b><script>alert(1)</script>",
    ),
    Case(
        "a javascript: link is not a link",
        "[click](javascript:alert(1))",
        "<p>[click](javascript:alert(1))</p>\n",
        "[click](javascript:alert(1))",
    ),
    Case("an HTML body that starts with text", "Hello <b>world</b>", "Hello <b>world</b>", "Hello world", "html"),
    Case(
        "an HTML body with a link, a list and an image",
        '<p>See <a href="https://e.org">the site</a></p><ul><li>one</li><li>two</li></ul>'
        '<img alt="Logo" src="https://e.org/l.png">',
        '<p>See <a href="https://e.org">the site</a></p><ul><li>one</li><li>two</li></ul>'
        '<img alt="Logo" src="https://e.org/l.png">',
        "See the site (https://e.org)\n\n- one\n- two\n\nLogo (https://e.org/l.png)",
        "html",
    ),
]
IDS = [case.name for case in CASES]


def request_for(case: Case):
    return publish_request(content=content(title="Bodies", body=case.body, body_format=case.body_format, tags=()))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_body_converts_to_commonmark_html_and_readable_text(case):
    assert to_html(case.body, case.body_format) == case.html
    assert to_text(case.body, case.body_format) == case.text


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_wordpress_receives_the_html(case, fake_wordpress):
    request = request_for(case)
    credentials = {"username": "editor", "app_password": "abcd efgh ijkl mnop"}
    WordPressAdapter({"url": fake_wordpress.url}, credentials, timeout=5).publish(request)

    [post] = fake_wordpress.posts
    assert post["content"] == case.html + "\n" + marker_comment(marker_for(request.idempotency_key))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_ghost_receives_the_html_as_its_source(case, ghost):
    GhostAdapter({"url": ghost.url}, {"admin_api_key": ghost.admin_api_key}, timeout=5).publish(request_for(case))

    [sent] = [r for r in ghost.requests if r.method == "POST" and r.path.endswith("/posts/")]
    assert sent.query["source"] == ["html"]
    assert sent.json()["posts"][0]["html"] == case.html


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shopify_receives_the_html(case, shopify):
    settings = {"shop_domain": shopify.url, "blog_id": shopify.blog_id}
    ShopifyAdapter(settings, {"access_token": shopify.access_token}, timeout=5).publish(request_for(case))

    [article] = shopify.articles
    assert article["body"] == case.html


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_mastodon_receives_the_text(case, mastodon):
    MastodonAdapter({"url": mastodon.url}, {"access_token": mastodon.access_token}, timeout=5).publish(
        request_for(case)
    )

    [sent] = [r for r in mastodon.requests if r.method == "POST" and r.path == "/api/v1/statuses"]
    assert sent.json()["status"] == case.text


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_webhook_receives_the_body_as_written_its_html_and_its_text(case, receiver):
    webhook(receiver.url).publish(request_for(case))

    sent = receiver.requests[0].json()["content"]
    assert (sent["body"], sent["body_format"]) == (case.body, case.body_format)
    assert (sent["html"], sent["text"]) == (case.html, case.text)
