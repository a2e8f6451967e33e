"""Durable background jobs: an outbox table, a registry of task kinds and a leasing worker."""
