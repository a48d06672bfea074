"""Both colour themes of static/herald.css reach WCAG AA contrast for the pairs the pages use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[3] / "static" / "herald.css").read_text()
TEXT = 4.5  # WCAG 1.4.3, normal text (every text here is 14 px or smaller, so none counts as large)
NON_TEXT = 3.0  # WCAG 1.4.11: the focus ring, the borders of fields and buttons
TEXT_COLOURS = ("fg", "muted", "accent", "link", "warn", "bad", "info")  # body, hints, status, links, buttons
SURFACES = ("bg", "panel", "cursor")  # the page, cards and menus, the j/k row highlight and calendar drop target
EDGES = (("focus", "bg"), ("focus", "panel"), ("control", "bg"), ("control", "panel"), ("accent", "bg"))


def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """Return (selector, declarations) for every innermost rule, @media contents included."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        found = re.findall(r"([\w-]+)\s*:\s*([^;]+)", body)
        declarations = {name.strip(): value.strip() for name, value in found}
        rules.append((selector.strip(), declarations))
    return rules


RULES = _rules(CSS)


def _theme(selector_text: str) -> dict[str, str]:
    (declarations,) = [d for selector, d in RULES if selector == selector_text]
    return {name[2:]: value for name, value in declarations.items() if name.startswith("--")}


THEMES = {"dark": _theme(':root, [data-theme="dark"]'), "light": _theme('[data-theme="light"]')}


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _var(value: str | None) -> str | None:
    found = re.fullmatch(r"var\(--([\w-]+)\)", (value or "").strip())
    return found.group(1) if found else None


def test_the_ratio_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_both_themes_define_the_same_colours():
    assert set(THEMES["dark"]) == set(THEMES["light"])
    assert {*TEXT_COLOURS, *SURFACES, "focus", "control"} <= set(THEMES["dark"])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("colour", TEXT_COLOURS)
def test_every_text_colour_reads_on_every_surface(theme, surface, colour):
    palette = THEMES[theme]
    assert contrast(palette[colour], palette[surface]) >= TEXT, f"{theme}: --{colour} on --{surface}"


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("edge", "surface"), EDGES)
def test_focus_ring_and_field_borders_stand_out(theme, edge, surface):
    palette = THEMES[theme]
    assert contrast(palette[edge], palette[surface]) >= NON_TEXT, f"{theme}: --{edge} on --{surface}"


def _coloured_rules() -> list[tuple[str, str, str]]:
    """Return (selector, text colour, background) of every rule that sets both from the theme's colours."""
    pairs = []
    for selector, declarations in RULES:
        colour = _var(declarations.get("color"))
        background = _var(declarations.get("background") or declarations.get("background-color"))
        if colour and background:
            pairs.append((selector, colour, background))
    return pairs


def test_the_rules_that_set_a_text_and_a_background_colour_are_found():
    selectors = {selector for selector, _, _ in _coloured_rules()}
    assert {".badge", "button:hover", "html"} <= selectors  # or the next test would check nothing


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("selector", "colour", "background"), _coloured_rules())
def test_every_rule_s_own_text_on_background_pair_reads(theme, selector, colour, background):
    palette = THEMES[theme]
    assert contrast(palette[colour], palette[background]) >= TEXT, f"{theme}: {selector}"


def test_every_surface_a_rule_paints_is_one_the_text_colours_are_checked_on():
    """A new background colour (say a highlight in --line) must join SURFACES, or text on it goes unchecked."""
    painted = set()
    for selector, declarations in RULES:
        background = _var(declarations.get("background") or declarations.get("background-color"))
        if background and not selector.startswith(("dialog::backdrop",)):
            painted.add((selector, background))
    # The badge and a hovered button are painted in a text colour and checked pair by pair above.
    unchecked = {(s, b) for s, b in painted if b not in SURFACES and s not in {".badge", "button:hover"}}
    assert unchecked == set()


def test_fields_are_outlined_and_placeholders_use_a_checked_text_colour():
    fields = next(d for s, d in RULES if s.startswith("input, select, textarea"))
    assert _var(fields["border"].split()[-1]) == "control"
    placeholder = next(d for s, d in RULES if s == "::placeholder")
    assert _var(placeholder["color"]) in TEXT_COLOURS
    assert placeholder.get("opacity") == "1"


def test_the_row_cursor_and_focus_ring_use_the_checked_colours():
    focus = next(d for s, d in RULES if s == ":focus-visible")
    assert "var(--focus)" in focus["outline"]
    cursor = next(d for s, d in RULES if s == "tr.cursor td")
    assert _var(cursor["background"]) == "cursor"
