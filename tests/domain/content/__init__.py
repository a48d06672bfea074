"""Tests of webapp.domain.content."""
