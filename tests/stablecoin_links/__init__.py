"""Tests of stablecoin provider account links."""
