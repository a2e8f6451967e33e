"""Tests of Plaid Link."""
