"""What the i18n tests share: the catalogs on disk, a fresh extraction, and the templates not yet translated."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

CHECKOUT = Path(__file__).resolve().parents[3]
TRANSLATIONS = CHECKOUT / "webapp" / "translations"
TEMPLATES = CHECKOUT / "templates"
SHIPPED = ("de", "fr", "es")  # English is the source language: its strings are the msgids

# Templates whose visible strings are still English. Round 2 of issue 17 translated the last of them: every template
# keeps every visible string inside _() or {% trans %} (test_catalogs.py), and every page shows a French user no
# English (test_walk.py). Never add a template here.
PENDING: frozenset[str] = frozenset()


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@cache
def extracted(tmp: Path) -> Catalog:
    """Extract every marked string from the checkout now, exactly as `make translations` does."""
    out = tmp / "messages.pot"
    argv = [
        str(Path(sys.executable).with_name("pybabel")),
        "-q",
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "lazy_gettext",
        "-k",
        "Phrase",
        "-k",
        "Sentence",
    ]
    subprocess.run(
        [*argv, "--no-location", "--sort-output", "--omit-header", "-o", str(out), "."], cwd=CHECKOUT, check=True
    )
    return read_catalog(out)


def msgids(catalog: Catalog) -> set:
    return {message.id for message in catalog if message.id}


# The attributes people read (or hear): translated like text.
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class VisibleText(HTMLParser):
    """Collect the text nodes and read attributes of a page or template that `wanted` picks (scripts skipped)."""

    def __init__(self, wanted: Callable[[str], bool]):
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._keep(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self._keep(data)

    def _keep(self, text: str) -> None:
        if self.wanted(text):
            self.found.append(" ".join(text.split()))


def visible_text(html: str, wanted: Callable[[str], bool]) -> list[str]:
    parser = VisibleText(wanted)
    parser.feed(html)
    return parser.found
