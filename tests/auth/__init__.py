"""Tests of API tokens and the Basic scheme."""
