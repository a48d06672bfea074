"""Tests of webapp.core."""
