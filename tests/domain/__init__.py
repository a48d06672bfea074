"""Tests of webapp.domain, one package per bounded context."""
