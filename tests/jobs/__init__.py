"""Tests of the outbox and its workers."""
