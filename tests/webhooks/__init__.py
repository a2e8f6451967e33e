"""Tests of webhook endpoints and deliveries."""
