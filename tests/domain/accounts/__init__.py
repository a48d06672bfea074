"""Tests of webapp.domain.accounts."""
