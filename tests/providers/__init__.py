"""Tests of the provider clients and simulators."""
