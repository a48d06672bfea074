"""Small server-drawn SVG charts: accessible (role, title, description, a tooltip per mark) and themed by CSS.

No colours here: marks carry classes that static/herald.css fills with the theme's variables, so
both themes read well. The strict CSP allows no inline style, and none is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

HEAT_LEVELS = 5  # heat-0 (none) .. heat-4 (the busiest hour)


@dataclass(frozen=True)
class Mark:
    """One column or bar: its axis label, its value (None: no data) and the tooltip saying it in words."""

    label: str
    value: float | None
    tip: str


def _open(slug: str, title: str, description: str, width: int, height: int, kind: str) -> list[str]:
    return [
        f'<svg class="chart chart-{kind}" id="chart-{escape(slug)}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-{escape(slug)}-title chart-{escape(slug)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-{escape(slug)}-title">{escape(title)}</title>',
        f'<desc id="chart-{escape(slug)}-desc">{escape(description)}</desc>',
    ]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def columns(slug: str, title: str, description: str, marks: Sequence[Mark], top: float, unit: str = "") -> Markup:
    """Draw vertical columns scaled to `top`; a mark without a value leaves a dashed gap."""
    width, height, left, bottom, head = 640, 200, 40, 24, 8
    plot_w, plot_h = width - left - 4, height - bottom - head
    parts = _open(slug, title, description, width, height, "columns")
    top = top or 1
    for fraction in (0, 0.5, 1):
        y = head + plot_h * (1 - fraction)
        parts.append(f'<line class="chart-grid" x1="{left}" x2="{width - 4}" y1="{_num(y)}" y2="{_num(y)}"/>')
        parts.append(
            f'<text class="chart-axis" x="{left - 4}" y="{_num(y + 4)}" text-anchor="end">'
            f"{escape(_num(top * fraction))}{escape(unit)}</text>"
        )
    slot = plot_w / max(len(marks), 1)
    every = max(1, -(-len(marks) // 12))  # at most a dozen axis labels
    for i, mark in enumerate(marks):
        x = left + i * slot + slot * 0.15
        if mark.value is None:
            y = head + plot_h - 2
            parts.append(
                f'<rect class="chart-gap" x="{_num(x)}" y="{_num(y)}" width="{_num(slot * 0.7)}" height="2">'
                f"<title>{escape(mark.tip)}</title></rect>"
            )
        else:
            h = plot_h * min(mark.value, top) / top
            parts.append(
                f'<rect class="chart-bar" x="{_num(x)}" y="{_num(head + plot_h - h)}" width="{_num(slot * 0.7)}" '
                f'height="{_num(h)}"><title>{escape(mark.tip)}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text class="chart-axis" x="{_num(x + slot * 0.35)}" y="{height - 8}" text-anchor="middle">'
                f"{escape(mark.label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(slug: str, title: str, description: str, marks: Sequence[Mark]) -> Markup:
    """Draw labelled horizontal bars, longest = the largest value."""
    row, label_w, width = 22, 160, 640
    height = max(row * len(marks), row) + 4
    parts = _open(slug, title, description, width, height, "bars")
    largest = max((m.value or 0 for m in marks), default=0) or 1
    for i, mark in enumerate(marks):
        y = i * row + 2
        w = (width - label_w - 60) * (mark.value or 0) / largest
        parts.append(
            f'<text class="chart-label" x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(mark.label)}</text>'
        )
        parts.append(
            f'<rect class="chart-bar" x="{label_w}" y="{y + 3}" width="{_num(w)}" height="{row - 8}">'
            f"<title>{escape(mark.tip)}</title></rect>"
        )
        parts.append(
            f'<text class="chart-axis" x="{_num(label_w + w + 6)}" y="{y + 15}">{escape(_num(mark.value or 0))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_level(value: int, largest: int) -> int:
    """Quantise a count into HEAT_LEVELS classes: 0 only for nothing, the top level for the largest."""
    if value <= 0 or largest <= 0:
        return 0
    return max(1, -(-value * (HEAT_LEVELS - 1) // largest))


def heatmap(
    slug: str,
    title: str,
    description: str,
    grid: Sequence[Sequence[int]],
    rows: Sequence[str],
    noun: str,
    counted: Callable[[int], str] | None = None,
) -> Markup:
    """Draw a rows x 24 hours grid of counts, one cell class per heat level.

    A cell's tooltip says its count as `counted(count)` ("4 publications", in the page's language), else `count noun`.
    """
    cell, left, head = 22, 44, 18
    width, height = left + 24 * cell + 4, head + len(rows) * cell + 4
    parts = _open(slug, title, description, width, height, "heatmap")
    largest = max((max(r) for r in grid), default=0)
    for hour in range(0, 24, 3):
        parts.append(
            f'<text class="chart-axis" x="{left + hour * cell + cell // 2}" y="12" '
            f'text-anchor="middle">{hour:02d}</text>'
        )
    for r, (name, counts) in enumerate(zip(rows, grid, strict=True)):
        y = head + r * cell
        parts.append(f'<text class="chart-label" x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(name)}</text>')
        for hour, count in enumerate(counts):
            level = heat_level(count, largest)
            tip = f"{name} {hour:02d}:00–{hour:02d}:59: {counted(count) if counted else f'{count} {noun}'}"
            parts.append(
                f'<rect class="heat heat-{level}" x="{left + hour * cell}" y="{y}" '
                f'width="{cell - 2}" height="{cell - 2}">'
                f"<title>{escape(tip)}</title></rect>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
