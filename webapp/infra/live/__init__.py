"""Live updates: the per-workspace event bus, one SSE fan-out per web process, and the per-user stream cap."""
