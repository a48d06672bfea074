"""Page numbers from a URL, bounded: `?page=10**20` is the last page, never a database overflow."""

from __future__ import annotations

# Far past any real list (50 rows a page: 50 million rows), and an OFFSET every database accepts.
MAX_PAGE = 1_000_000


def page_number(value: str | None) -> int:
    """Read a page number for a list page: garbage is page 1, anything past MAX_PAGE is MAX_PAGE."""
    try:
        return min(MAX_PAGE, max(1, int(value or 1)))
    except ValueError:
        return 1
