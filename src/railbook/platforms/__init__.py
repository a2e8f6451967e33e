"""Platforms (the tenants), their API tokens and their per-mode configuration."""
