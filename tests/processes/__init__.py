"""Tests of the long-running programs."""
