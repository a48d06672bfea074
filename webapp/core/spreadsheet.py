"""CSV cells that stay text in a spreadsheet: no exported value ever runs as a formula.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before
reading one of those) is a formula to Excel, LibreOffice and Google Sheets: `=HYPERLINK(…)` in a
post's title would run on the reader's machine. OWASP's advice: prefix such a cell with a single
quote, which every spreadsheet shows as text. Herald's own CSV import takes the quote off again, so
an export imports back unchanged.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Return a text cell that cannot start a formula; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(cell: str) -> str:
    """Undo `neutralise` on a cell read back from a CSV Herald wrote."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
