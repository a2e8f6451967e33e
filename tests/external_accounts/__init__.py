"""Tests of external accounts and their rails."""
