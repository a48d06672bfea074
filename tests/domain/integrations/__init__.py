"""Tests of webapp.domain.integrations."""
