"""Signed webhooks: events stored with the change they describe, delivered at least once."""
