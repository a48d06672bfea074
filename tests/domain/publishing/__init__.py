"""Tests of webapp.domain.publishing."""
