"""Tests of the Brale client and its simulator."""
