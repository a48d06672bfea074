"""Paging and sorting of a list page (schedules, content) from its URL, as the job monitor does it."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from webapp.domain.publishing.publications import sorted_page
from webapp.web.paging import page_number

PER_PAGE = 50


@dataclass(frozen=True)
class Sort:
    column: object  # a mapped column
    nulls_last: bool = False  # e.g. a finished schedule has no next run: it goes after the ones that have


@dataclass(frozen=True)
class ListPage:
    items: list
    total: int
    page: int
    pages: int
    sort: str
    descending: bool


def list_page(query, args: MultiDict, sorts: dict[str, Sort], default: str, tie_breaker) -> ListPage:
    """Return one page of `query`, sorted by the URL's `sort` and `dir` (else `default`, newest first).

    A page past the end shows the last page; an unknown sort shows the default one. Rows with equal sort
    values are ordered by `tie_breaker` in the same direction, so no row shows on two pages.
    """
    sort = args.get("sort") if args.get("sort") in sorts else default
    descending = args.get("dir", "desc") != "asc"
    chosen = sorts[sort]

    def fetch(page: int) -> tuple[list, int]:
        return sorted_page(
            query,
            chosen.column,
            tie_breaker,
            descending=descending,
            nulls_last=chosen.nulls_last,
            page=page,
            per_page=PER_PAGE,
        )

    page = page_number(args.get("page"))
    items, total = fetch(page)
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        page = pages
        items, total = fetch(page)
    return ListPage(items, total, page, pages, sort, descending)
