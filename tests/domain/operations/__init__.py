"""Tests of webapp.domain.operations."""
