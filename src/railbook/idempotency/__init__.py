"""Idempotency-Key handling for POST endpoints: store the first answer, replay it, refuse conflicts."""
