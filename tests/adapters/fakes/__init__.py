"""Local fake platforms that speak each platform's documented API, for adapter tests."""
