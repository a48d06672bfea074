"""Server-drawn SVG charts: accessible, scaled, escaped, and styled only by classes (the CSP allows no inline style)."""

from __future__ import annotations

import re

import pytest

from webapp.web import charts


def test_columns_are_scaled_to_the_top_and_a_missing_value_is_a_gap():
    svg = charts.columns(
        "rate",
        "Success",
        "Share published",
        [charts.Mark("a", 100, "all"), charts.Mark("b", 50, "half"), charts.Mark("c", None, "none")],
        100,
        "%",
    )

    heights = [float(h) for h in re.findall(r'class="chart-bar"[^>]* height="([\d.]+)"', svg)]
    assert heights == [168.0, 84.0]
    assert svg.count('class="chart-gap"') == 1
    assert "<title>half</title>" in svg and ">100%</text>" in svg


def test_every_chart_is_an_image_with_a_title_and_description():
    svg = charts.bars("kinds", "By platform", "Publications per platform", [charts.Mark("webhook", 3, "webhook: 3")])

    assert svg.startswith('<svg class="chart chart-bars" id="chart-kinds"')
    assert 'role="img" aria-labelledby="chart-kinds-title chart-kinds-desc"' in svg
    assert '<title id="chart-kinds-title">By platform</title>' in svg
    assert '<desc id="chart-kinds-desc">Publications per platform</desc>' in svg


def test_labels_are_escaped_and_no_inline_style_is_used():
    svg = charts.bars("x", "<b>", "d", [charts.Mark("<script>alert(1)</script>", 1, "a & b")])

    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    assert "style=" not in svg and "fill=" not in svg


def test_bars_are_as_long_as_their_share_of_the_largest():
    svg = charts.bars("x", "t", "d", [charts.Mark("big", 4, "big"), charts.Mark("small", 1, "small")])

    widths = [float(w) for w in re.findall(r'class="chart-bar"[^>]* width="([\d.]+)"', svg)]
    assert widths == [420.0, 105.0]


@pytest.mark.parametrize(("value", "level"), [(0, 0), (1, 1), (25, 1), (26, 2), (50, 2), (75, 3), (99, 4), (100, 4)])
def test_heat_levels_keep_zero_for_nothing_and_the_top_for_the_busiest(value, level):
    assert charts.heat_level(value, 100) == level


def test_the_heatmap_draws_one_cell_per_hour_of_the_week():
    grid = [[0] * 24 for _ in range(7)]
    grid[0][9] = 4
    grid[1][23] = 1

    svg = charts.heatmap("h", "Hours", "d", grid, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), "posts")

    assert svg.count('class="heat heat-') == 7 * 24
    assert svg.count("heat-4") == 1 and svg.count("heat-1") == 1
    assert "<title>Mon 09:00–09:59: 4 posts</title>" in svg
