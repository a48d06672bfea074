"""The catalogs are current and complete, and no template string escapes extraction (CI runs these in make test)."""

from __future__ import annotations

import re

import pytest

from tests.web.i18n.catalogs import (
    PENDING,
    SHIPPED,
    TEMPLATES,
    TRANSLATIONS,
    extracted,
    msgids,
    read_catalog,
    visible_text,
)

# Text a page may show untranslated: names of products and formats, keys on a keyboard, units.
NOT_WORDS = frozenset(
    [
        "herald",
        "Herald",
        "WordPress",
        "Ghost",
        "Shopify",
        "Mastodon",
        "Slack",
        "Markdown",
        "HTML",
        "JSON",
        "CSV",
        "API",
        "iCal",
        "RSS",
        "UTC",
        "URL",
        "HTTP",
        "Redis",
        "sha",  # sha256
        "Enter",
        "Esc",
        "ms",
        "s",
    ]
)
BLOCK = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.S)
# A Jinja expression or statement, its quoted strings skipped whole (a string may hold "}}").
_QUOTED = r"'[^']*'|\"[^\"]*\""
EXPRESSION = re.compile(rf"{{{{(?:{_QUOTED}|[^'\"}}]|}}(?!}}))*}}}}|{{%(?:{_QUOTED}|[^'\"%]|%(?!}}))*%}}", re.S)
COMMENT = re.compile(r"{#.*?#}", re.S)
WORD = re.compile(r"[^\W\d_]{2,}")


def test_the_catalog_template_is_what_the_code_marks_now(tmp_path):
    """`make translations` would change nothing: no marked string is new, changed or gone."""
    now = msgids(extracted(tmp_path))
    committed = msgids(read_catalog(TRANSLATIONS / "messages.pot"))

    assert sorted(now - committed, key=str) == [], "new strings: run `make translations` and translate them"
    assert sorted(committed - now, key=str) == [], "strings no longer used: run `make translations`"


@pytest.mark.parametrize("locale", SHIPPED)
def test_each_language_translates_every_string(locale):
    catalog = read_catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", locale)
    template = msgids(read_catalog(TRANSLATIONS / "messages.pot"))
    messages = [message for message in catalog if message.id]

    assert {message.id for message in messages} == template, "run `make translations`"
    assert [m.id for m in messages if "fuzzy" in m.flags] == []
    strings = [(m.id, m.string) for m in messages]
    assert [mid for mid, text in strings if not (all(text) if isinstance(text, tuple) else text)] == []
    assert [(message.id, errors) for message, errors in catalog.check()] == []  # placeholders match


# Attribute markup a macro writes as its text (`aria-invalid="true" ...`) is not prose.
ATTRIBUTE = re.compile(r'[\w-]+="[^"]*"')


def has_words(text: str) -> bool:
    return any(word not in NOT_WORDS for word in WORD.findall(ATTRIBUTE.sub("", text)))


def literal_text(source: str) -> list[str]:
    """The visible text a template holds outside `_()`, `ngettext()` and `{% trans %}` (expressions are blanked)."""
    source = COMMENT.sub("", source)
    source = BLOCK.sub("§", source)
    source = EXPRESSION.sub("§", source)
    return visible_text(source, has_words)


TEMPLATE_NAMES = sorted(
    path.relative_to(TEMPLATES).as_posix() for pattern in ("*.html", "*.txt") for path in TEMPLATES.rglob(pattern)
)


@pytest.mark.parametrize("name", [name for name in TEMPLATE_NAMES if name not in PENDING])
def test_no_template_shows_text_outside_gettext(name):
    assert literal_text((TEMPLATES / name).read_text()) == []


def test_the_pending_templates_still_exist():
    """Round 2 shrinks PENDING; a template renamed or removed leaves it too."""
    assert sorted(PENDING - set(TEMPLATE_NAMES)) == []


def test_the_checker_finds_literal_text_and_lets_marked_text_through():
    source = (
        '<p title="Plain words">{{ _("Marked") }} <a aria-label="{{ _("x") }}">{% trans %}Marked too{% endtrans %}'
        "</a> Loose text <kbd>Enter</kbd></p><script>var english = 1;</script>"
    )
    assert literal_text(source) == ["Plain words", "Loose text"]
