"""Tests of the contract and the seed documents."""
