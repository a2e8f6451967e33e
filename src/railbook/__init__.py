"""Railbook: a self-hostable, Grid-compatible external accounts service."""

API_PREFIX = "/grid/2025-10-13"
