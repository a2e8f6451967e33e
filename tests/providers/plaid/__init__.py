"""Tests of the Plaid client and its simulator."""
