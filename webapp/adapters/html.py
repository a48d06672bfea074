"""Content bodies for platforms: a tiny, escaping Markdown-to-HTML converter and an HTML-to-text fallback.

Bodies are Markdown or HTML (the content's body_format is not in the payload), so a body that opens
with a recognised HTML tag is taken as HTML and passed through; anything else is Markdown.
"""

import html
import re

_HTML_START = re.compile(
    r"\s*<(p|div|h[1-6]|ul|ol|blockquote|pre|figure|table|section|article|img|hr|br|!--)[\s>/]", re.IGNORECASE
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,9}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^()\s]+)\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\*)|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")
_SAFE_HREF = re.compile(r"^(https?:|mailto:|/|#)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"<\s*(br|/li)\b[^>]*>", re.IGNORECASE)
_BLOCK_END = re.compile(r"<\s*(/p|/div|/h[1-6]|/ul|/ol|/blockquote|/pre|hr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def looks_like_html(body: str) -> bool:
    """Return True when the body opens with an HTML block tag."""
    return bool(_HTML_START.match(body))


def to_html(body: str) -> str:
    """Return the body as HTML: HTML as given, Markdown converted with everything escaped."""
    return body if looks_like_html(body) else markdown_to_html(body)


def to_text(body: str) -> str:
    """Return the body as plain text: HTML tags dropped (line breaks kept), Markdown as written."""
    if not looks_like_html(body):
        return body.strip()
    text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n\n", _LINE_BREAK.sub("\n", body))))
    return re.sub(r"\n\s*\n\s*", "\n\n", text).strip()


def markdown_to_html(text: str) -> str:
    """Convert the common Markdown blocks and inlines to HTML; raw HTML in the source is escaped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif fence := _FENCE.match(line):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(fence[1])), len(lines))
            blocks.append(f"<pre><code>{html.escape(chr(10).join(lines[i + 1 : end]))}</code></pre>")
            i = end + 1
        elif heading := _HEADING.match(line):
            level = len(heading[1])
            blocks.append(f"<h{level}>{inline(heading[2])}</h{level}>")
            i += 1
        elif _RULE.match(line):
            blocks.append("<hr>")
            i += 1
        elif _QUOTE.match(line):
            i, quoted = _take(lines, i, _QUOTE)
            blocks.append(f"<blockquote>{markdown_to_html(chr(10).join(quoted))}</blockquote>")
        elif _BULLET.match(line) or _NUMBERED.match(line):
            tag, pattern = ("ul", _BULLET) if _BULLET.match(line) else ("ol", _NUMBERED)
            i, items = _take(lines, i, pattern)
            blocks.append(f"<{tag}>" + "".join(f"<li>{inline(item)}</li>" for item in items) + f"</{tag}>")
        else:
            start = i
            while i < len(lines) and lines[i].strip() and (i == start or not _starts_block(lines[i])):
                i += 1
            blocks.append(f"<p>{inline(chr(10).join(s.strip() for s in lines[start:i]))}</p>")
    return "\n".join(blocks)


def inline(text: str) -> str:
    """Escape text, then render code spans, links, strong and emphasis."""
    parts = _CODE_SPAN.split(text)
    out: list[str] = []
    # split() with two groups yields [text, ticks, code, text, ticks, code, ..., text].
    for index in range(0, len(parts), 3):
        out.append(_format(html.escape(parts[index])))
        if index + 2 < len(parts):
            out.append(f"<code>{html.escape(parts[index + 2].strip())}</code>")
    return "".join(out)


def _format(escaped: str) -> str:
    # Links first and apart, so emphasis markers inside a URL never reach the href.
    out, last = [], 0
    for match in _LINK.finditer(escaped):
        out.append(_emphasis(escaped[last : match.start()]))
        label, href = _emphasis(match[1]), match[2]
        # Only schemes that cannot run code: a javascript: link is shown as its text.
        out.append(f'<a href="{href}">{label}</a>' if _SAFE_HREF.match(html.unescape(href)) else label)
        last = match.end()
    out.append(_emphasis(escaped[last:]))
    return "".join(out)


def _emphasis(escaped: str) -> str:
    escaped = _STRONG.sub(r"<strong>\2</strong>", escaped)
    return _EM.sub(lambda m: f"<em>{m[1] or m[2]}</em>", escaped)


def _take(lines: list[str], i: int, pattern: re.Pattern[str]) -> tuple[int, list[str]]:
    taken = []
    while i < len(lines) and (match := pattern.match(lines[i])):
        taken.append(match[1])
        i += 1
    return i, taken


def _starts_block(line: str) -> bool:
    return any(p.match(line) for p in (_FENCE, _HEADING, _RULE, _QUOTE, _BULLET, _NUMBERED))
