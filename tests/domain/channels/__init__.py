"""Tests of webapp.domain.channels."""
