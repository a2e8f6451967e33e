"""Tests of the domain-free helpers."""
