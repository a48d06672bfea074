"""Backoff for retries: exponential with full jitter, capped, and never sooner than Retry-After."""

from __future__ import annotations

import random


def backoff_seconds(
    attempt: int, base: float, cap: float, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Return how long to wait before retry number `attempt` (1-based)."""
    rng = rng or random
    # Full jitter (AWS architecture blog): spreads retries of many publications failing together.
    delay = rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
