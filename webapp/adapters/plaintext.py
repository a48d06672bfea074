"""HTML to readable plain text: paragraphs, line breaks, list markers, quotes, and every link's address kept."""

import re
from html.parser import HTMLParser

# Blocks start on a line of their own after a blank line; the rest of these on the next line.
_PARAGRAPHS = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "table",
        "figure",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "address",
        "details",
        "dl",
        "blockquote",
        "ul",
        "ol",
    }
)
_LINES = frozenset({"li", "tr", "dt", "dd", "figcaption", "summary", "caption"})
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg", "math"})
_VOID = frozenset(
    {"br", "hr", "img", "wbr", "input", "meta", "link", "area", "base", "col", "embed", "source", "track"}
)
_SPACES = re.compile(r"[ \t\n\r\f]+")
_LINKED_SCHEMES = ("http://", "https://", "mailto:")


def html_to_text(markup: str, *, keep_links: bool = True) -> str:
    """Return the text a reader sees in the HTML; with keep_links, a link's address follows its text."""
    writer = _TextWriter(keep_links)
    writer.feed(markup)
    writer.close()
    return writer.text()


class _TextWriter(HTMLParser):
    def __init__(self, keep_links: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_links = keep_links
        self.lines: list[str] = []
        self.line: str | None = None  # the line being written (None: none started)
        self.gap = 0  # line breaks owed before the next text: 1 a new line, 2 a blank line too
        self.quote = 0
        self.lists: list[list] = []  # per open list: [ordered, next number]
        self.marker = ""  # a list item's marker, written at the start of its first line
        self.pre = 0
        self.skip = 0
        self.links: list[tuple[str, int]] = []  # open links: (href, where its text starts in the line)
        self.cells = 0
        self.written_from = 0  # where the current line's own text starts (after quote marks, indent, marker)

    # Parsing.

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skip += tag not in _VOID
            return
        values = {name: value or "" for name, value in attrs}
        if tag in _PARAGRAPHS:
            self._owe(1 if tag in ("ul", "ol") and self.lists else 2)
        elif tag in _LINES:
            self._owe(1)
        if tag == "blockquote":
            self.quote += 1
        elif tag in ("ul", "ol"):
            start = values.get("start", "1")
            self.lists.append([tag == "ol", int(start) if start.isdigit() else 1])
        elif tag == "li" and self.lists:
            ordered, number = self.lists[-1]
            self.marker = f"{number}. " if ordered else "- "
            self.lists[-1][1] += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "tr":
            self.cells = 0
        elif tag in ("td", "th"):
            if self.cells and self.line is not None:
                self.line = self.line.rstrip() + " | "
            self.cells += 1
        elif tag == "a":
            self.links.append((values.get("href", "").strip(), len(self.line or "")))
        elif tag == "br":
            self._newline()
        elif tag == "hr":
            self._owe(2)
            self._write("---", raw=True)
            self._owe(2)
        elif tag == "img":
            self._image(values.get("alt", "").strip(), values.get("src", "").strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            self._link(href, (self.line or "")[start:])
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _PARAGRAPHS:
            self._owe(1 if tag in ("ul", "ol") and self.lists else 2)
        elif tag in _LINES:
            self._owe(1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            for index, part in enumerate(data.split("\n")):
                if index:
                    self._newline()
                if part:
                    self._write(part, raw=True)
        else:
            self._write(data)

    # Writing.

    def _image(self, alt: str, src: str) -> None:
        address = src if self.keep_links and src.startswith(_LINKED_SCHEMES) else ""
        text = f"{alt} ({address})" if alt and address else alt or address
        if text:
            self._write(text, raw=True)

    def _link(self, href: str, label: str) -> None:
        if not self.keep_links or not href.startswith(_LINKED_SCHEMES):
            return
        shown = label.strip()
        if shown and shown in (href, href.removeprefix("mailto:")):
            return
        self._write(f" ({href})" if shown else href, raw=True)

    def _owe(self, breaks: int) -> None:
        self.gap = max(self.gap, breaks)

    def _newline(self) -> None:
        if self.line is None:
            self._start()
        self._end()
        self.gap = 0
        self._start()

    def _write(self, text: str, *, raw: bool = False) -> None:
        if not raw:
            text = _SPACES.sub(" ", text)
            if self.line is None or self.gap or not self.line[self.written_from :].strip():
                text = text.lstrip()
            if not text:
                return
        if self.gap or self.line is None:
            if self.line is not None:
                self._end()
                # A paragraph's gap is one blank line, however many line breaks ended the block before it.
                while self.lines and not self.lines[-1].strip("> "):
                    self.lines.pop()
                if self.gap == 2 and self.lines:
                    self.lines.append(self._prefix().rstrip())
            self.gap = 0
            self._start()
        self.line += text

    def _prefix(self) -> str:
        return "> " * self.quote

    def _start(self) -> None:
        indent = "   " * max(0, len(self.lists) - 1)
        self.line = self._prefix() + indent + self.marker
        self.written_from = len(self.line)
        self.marker = ""
        self.links = [(href, len(self.line)) for href, _ in self.links]

    def _end(self) -> None:
        if self.line is not None:
            self.lines.append(self.line.rstrip())
            self.line = None

    def text(self) -> str:
        """Return the text written, without blank lines at either end."""
        self._end()
        return "\n".join(self.lines).strip("\n").strip()
