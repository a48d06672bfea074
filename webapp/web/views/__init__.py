"""Browser-facing blueprints, one per module."""
