"""Hypothesis strategies for hostile input: anything JSON can carry, and texts meant to break things."""

from __future__ import annotations

from hypothesis import strategies as st

NASTY_TEXTS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: valid in JSON ("\\ud800"), not encodable as UTF-8
    "' OR '1'='1",
    "1; DROP TABLE contents; --",
    "%",
    "_",
    "\\",
    "<script>alert(1)</script>",
    "x" * 70_000,
    "🙂" * 400,
    "\u202e\u200b",
    "NaN",
    "2026-02-30T10:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "Europe/Nowhere",
    "../../etc/passwd",
    "* * * * *",
    "@reboot",
    "*/0 * * * *",
)

texts = st.one_of(st.sampled_from(NASTY_TEXTS), st.text(max_size=40))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=6
)


def either(valid, max_size: int | None = None):
    """A valid value most of the time, anything otherwise: failures then come one field at a time too."""
    return st.one_of(valid, json_values)
